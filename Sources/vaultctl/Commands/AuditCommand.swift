import ArgumentParser
import Foundation
import VaultAPI

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Verify and read the audit log (admin, compliance).",
        subcommands: [AuditVerify.self, AuditTail.self])
}

struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check the hash chain against the latest signed anchor; exits 1 on a break.")
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let report: AuditVerifyBody = try await connection.client().send("GET", "v1/audit/verify", as: AuditVerifyBody.self)
            if connection.json {
                try Output.json(report)
            } else if report.valid {
                Output.line(
                    "Audit chain valid: \(report.entries) entries checked" + (report.anchored_seq.map { ", anchored at entry \($0)" } ?? ", no anchor yet")
                        + ".")
            } else {
                Output.line(
                    "Audit chain BROKEN: \(report.problem ?? "invalid") at entry \(report.first_invalid.map(String.init) ?? "?") (\(report.entries) entries checked)."
                )
            }
            if !report.valid { throw ExitCode(1) }
        }
    }
}

struct AuditTail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail", abstract: "Show the newest audit entries; --follow keeps printing new ones.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Entries to show first.") var lines = 20
    @Flag(help: "Keep polling for new entries until interrupted.") var follow = false
    @Option(name: .customLong("subject-id"), help: "Only entries about this subject.") var subjectID: String?
    @Option(help: "Only entries of this principal.") var principal: String?
    @Option(help: "Only entries of this action (e.g. subject.view).") var action: String?
    @Option(help: "Seconds between polls with --follow.") var interval = 2.0

    func run() async throws {
        try await reporting {
            guard (1...500).contains(lines) else { throw Failure.usage("--lines must be 1 to 500") }
            let client = try connection.client()
            var filters: [String] = []
            if let subjectID { filters.append("subject_id=\(subjectID)") }
            if let principal, let encoded = principal.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) { filters.append("principal=\(encoded)") }
            if let action { filters.append("action=\(action)") }
            // Walk to the end once, keeping only the last `lines` entries.
            var after: Int64 = 0
            var window: [AuditEntryBody] = []
            while true {
                let page: AuditPageBody = try await client.send(
                    "GET", "v1/audit?" + (filters + ["after=\(after)", "limit=500"]).joined(separator: "&"), as: AuditPageBody.self)
                window = Array((window + page.entries).suffix(lines))
                if let last = page.entries.last { after = last.seq }
                if page.next_after == nil { break }
            }
            if !connection.json && !window.isEmpty { Output.line(Self.header) }
            try window.forEach(print)
            while follow {
                try await Task.sleep(for: .seconds(interval))
                let page: AuditPageBody = try await client.send(
                    "GET", "v1/audit?" + (filters + ["after=\(after)", "limit=500"]).joined(separator: "&"), as: AuditPageBody.self)
                try page.entries.forEach(print)
                if let last = page.entries.last { after = last.seq }
            }
        }
    }

    static let header = "SEQ     TIME                  PRINCIPAL         ROLE/SOURCE   ACTION          OUTCOME  SUBJECTS  FIELDS"

    func print(_ entry: AuditEntryBody) throws {
        if connection.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            Output.line(String(decoding: try encoder.encode(entry), as: UTF8.self))
            return
        }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? String(s.prefix(n - 1)) + " " : s.padding(toLength: n, withPad: " ", startingAt: 0) }
        let subjects = entry.subject_ids.count == 1 ? String(entry.subject_ids[0].prefix(8)) : "\(entry.subject_ids.count)"
        Output.line(
            pad(String(entry.seq), 8) + pad(entry.at, 22) + pad(entry.principal, 18) + pad(entry.role ?? entry.source ?? "-", 14)
                + pad(entry.action, 16) + pad(entry.outcome, 9) + pad(subjects, 10) + entry.fields.joined(separator: ",")
                + (entry.action.hasSuffix(".privileged") ? "  ⚑ privileged grant: a role shown personal values" : ""))
    }
}

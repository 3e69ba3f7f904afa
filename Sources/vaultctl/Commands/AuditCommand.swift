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
        commandName: "verify", abstract: "Check both hash chains (store writes, reads) against every signed anchor; exits 1 on a break.")
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let report: AuditVerifyBody = try await connection.client().send("GET", "v1/audit/verify", as: AuditVerifyBody.self)
            if connection.json {
                try Output.json(report)
            } else if report.valid {
                let parts = report.chains.map { chain in
                    "\(chain.name == "store" ? "store writes" : "reads") \(chain.entries)"
                        + (chain.anchored_seq.map { ", anchored at entry \($0)" } ?? ", no anchor yet")
                }
                Output.line("Audit chain valid: \(report.entries) entries checked (\(parts.joined(separator: "; "))).")
            } else {
                let chain = report.chain == "reads" ? " of the reads chain" : ""
                Output.line(
                    "Audit chain BROKEN: \(report.problem ?? "invalid") at entry \(report.first_invalid.map(String.init) ?? "?")\(chain) (\(report.entries) entries checked)."
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
            var after = "0"
            var window: [AuditEntryBody] = []
            while true {
                let page: AuditPageBody = try await client.send(
                    "GET", "v1/audit?" + (filters + ["after=\(after)", "limit=500"]).joined(separator: "&"), as: AuditPageBody.self)
                window = Array((window + page.entries).suffix(lines))
                guard let next = page.next_after else {
                    after = Self.cursor(after, past: page.entries)
                    break
                }
                after = next
            }
            if !connection.json && !window.isEmpty { Output.line(Self.header) }
            try window.forEach(print)
            while follow {
                try await Task.sleep(for: .seconds(interval))
                let page: AuditPageBody = try await client.send(
                    "GET", "v1/audit?" + (filters + ["after=\(after)", "limit=500"]).joined(separator: "&"), as: AuditPageBody.self)
                try page.entries.forEach(print)
                if let next = page.next_after { after = next } else { after = Self.cursor(after, past: page.entries) }
            }
        }
    }

    /// The cursor past `entries` (the last page has no `next_after`): each chain's last sequence number listed.
    static func cursor(_ cursor: String, past entries: [AuditEntryBody]) -> String {
        let parts = cursor.split(separator: ".").compactMap { Int64($0) }
        var store = parts.first ?? 0
        var reads = parts.count > 1 ? parts[1] : 0
        for entry in entries { if entry.chain == "reads" { reads = entry.seq } else { store = entry.seq } }
        return "\(store).\(reads)"
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
            pad((entry.chain == "reads" ? "r" : "") + String(entry.seq), 8) + pad(entry.at, 22) + pad(entry.principal, 18)
                + pad(entry.role ?? entry.source ?? "-", 14)
                + pad(entry.action, 16) + pad(entry.outcome, 9) + pad(subjects, 10) + entry.fields.joined(separator: ",")
                + (entry.action.hasSuffix(".privileged") ? "  ⚑ privileged grant: a role shown personal values" : ""))
    }
}

import ArgumentParser
import Foundation
import VaultAPI
import VaultClient
import VaultModel

struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request", abstract: "Data-subject requests, from intake to receipt (compliance).",
        subcommands: [
            RequestOpen.self, RequestList.self, RequestShow.self, RequestVerify.self, RequestExecute.self, RequestReject.self,
            RequestExtend.self, RequestExport.self, RequestReceipt.self,
        ])
}

enum RequestPrinter {
    static func row(_ r: SubjectRequestBody) -> [String] {
        let due = r.extended_due_at ?? r.due_at
        let left = r.dueLabel ?? "-"
        return [r.id, r.kind, r.regulation, r.status, String(due.prefix(10)), left, r.subject_id ?? "-", r.duplicate_of.map { "dup of \($0.prefix(8))" } ?? ""]
    }
    static let header = ["ID", "KIND", "LAW", "STATUS", "DUE", "LEFT", "SUBJECT", "NOTE"]

    static func show(_ r: SubjectRequestBody, _ json: Bool) throws {
        if json {
            try Output.json(r)
            return
        }
        Output.table(header, [row(r)])
    }
}

struct RequestOpen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "open", abstract: "Open a request by subject id or by identifiers.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "access, portability, erasure, rectification, restriction, objection, opt_out.") var kind: String
    @Option(help: "gdpr or ccpa.") var regulation: String
    @Option(name: .customLong("subject-id"), help: "The subject.") var subjectID: String?
    @Option(help: "Identify the person by email instead.") var email: String?
    @Option(help: "Identify the person by phone instead.") var phone: String?
    @Option(name: .customLong("received-at"), help: "Real receipt time of a request received by mail or phone (RFC 3339).") var receivedAt: String?
    @Option(help: "Objection: a purpose objected to (repeatable).") var purpose: [String] = []
    @Option(help: "Rectification: FIELD=VALUE (repeatable).") var set: [String] = []

    func run() async throws {
        try await reporting {
            var identifiers: [String: JSONValue] = [:]
            if let email { identifiers["email"] = .string(email) }
            if let phone { identifiers["phone"] = .string(phone) }
            guard (subjectID == nil) != identifiers.isEmpty else { throw Failure.usage("give --subject-id, or --email/--phone") }
            var fields: [String: JSONValue] = [:]
            for assignment in set {
                let parts = assignment.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw Failure.usage("--set takes FIELD=VALUE") }
                fields[String(parts[0])] = .string(String(parts[1]))
            }
            let body = OpenRequestBody(
                kind: kind, regulation: regulation, subject_id: subjectID, identifiers: identifiers.isEmpty ? nil : identifiers,
                received_at: receivedAt, purposes: purpose.isEmpty ? nil : purpose, fields: fields.isEmpty ? nil : fields)
            let opened: SubjectRequestBody = try await connection.client().send("POST", "v1/requests", body: body)
            try RequestPrinter.show(opened, connection.json)
        }
    }
}

struct RequestList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List requests as the console orders them: overdue first, open ones by due date, closed ones last.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only this status.") var status: String?
    @Option(help: "Only this kind.") var kind: String?
    @Option(help: "Only this regulation: gdpr or ccpa.") var regulation: String?
    @Flag(help: "Only overdue requests.") var overdue = false

    func run() async throws {
        try await reporting {
            if let regulation, !["gdpr", "ccpa"].contains(regulation) { throw Failure.usage("--regulation takes gdpr or ccpa") }
            var query: [String] = []
            if let status { query.append("status=\(status)") }
            if let kind { query.append("kind=\(kind)") }
            if overdue { query.append("overdue=true") }
            let list: SubjectRequestListBody = try await connection.client().send(
                "GET", "v1/requests" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")),
                as: SubjectRequestListBody.self)
            let requests = list.requests.filter { regulation == nil || $0.regulation == regulation }.sorted(by: SubjectRequestBody.queueOrder)
            if connection.json {
                try Output.json(SubjectRequestListBody(requests: requests))
                return
            }
            let late = requests.filter(\.overdue)
            if !late.isEmpty {
                Output.line("OVERDUE (\(late.count)):")
                Output.table(RequestPrinter.header, late.map(RequestPrinter.row))
                Output.line()
            }
            Output.table(RequestPrinter.header, requests.filter { !$0.overdue }.map(RequestPrinter.row))
        }
    }
}

/// A command that moves one request by id.
struct RequestStep {
    static func run(_ connection: ConnectionOptions, _ method: String, _ path: String, body: (some Encodable)?) async throws {
        let result: SubjectRequestBody = try await connection.client().send(method, path, body: body)
        try RequestPrinter.show(result, connection.json)
    }
}

struct RequestShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a request.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var id: String
    func run() async throws { try await reporting { try await RequestStep.run(connection, "GET", "v1/requests/\(id)", body: Optional<Empty>.none) } }
}

struct RequestVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Record the identity verification.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var id: String
    @Option(help: "How the identity was verified (email_link, id_document, account_login, …).") var method: String
    func run() async throws {
        try await reporting { try await RequestStep.run(connection, "POST", "v1/requests/\(id)/verify", body: VerifyRequestBody(method: method)) }
    }
}

struct RequestExecute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "execute", abstract: "Execute a verified request.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var id: String
    func run() async throws { try await reporting { try await RequestStep.run(connection, "POST", "v1/requests/\(id)/execute", body: Optional<Empty>.none) } }
}

struct RequestReject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reject", abstract: "Reject a request with a reason.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var id: String
    @Option var reason: String
    func run() async throws {
        try await reporting { try await RequestStep.run(connection, "POST", "v1/requests/\(id)/reject", body: ReasonBody(reason: reason)) }
    }
}

struct RequestExtend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "extend", abstract: "Extend the deadline once, with a reason, before it passes.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var id: String
    @Option var reason: String
    func run() async throws {
        try await reporting { try await RequestStep.run(connection, "POST", "v1/requests/\(id)/extend", body: ReasonBody(reason: reason)) }
    }
}

struct RequestExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write the access/portability package (JSON) to stdout or a file.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var id: String
    @Option(help: "Write to this file (0600) instead of stdout.") var output: String?
    func run() async throws {
        try await reporting {
            let (data, _) = try await connection.client(longRunning: true).raw("GET", "v1/requests/\(id)/export")
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: data, attributes: [.posixPermissions: 0o600]) else {
                    throw Failure.failed("cannot write \(output)")
                }
                Output.line("Export written to \(output) (\(data.count) bytes).")
            } else {
                FileHandle.standardOutput.write(data)
                Output.line()
            }
        }
    }
}

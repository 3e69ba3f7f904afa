import ArgumentParser
import Foundation
import VaultAPI
import VaultModel

struct ConsentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent", abstract: "Record and show a subject's consents.",
        subcommands: [ConsentGrant.self, ConsentWithdraw.self, ConsentShow.self])
}

/// Options shared by grant and withdraw.
struct ConsentEventOptions: ParsableArguments {
    @Argument(help: "Subject id.") var subjectID: String
    @Option(help: "Purpose, e.g. marketing.communications.email.") var purpose: String
    @Option(name: .customLong("lawful-basis"), help: "GDPR Art. 6 basis.") var lawfulBasis = "consent"
    @Option(help: "Jurisdiction, e.g. EU or US-CA.") var jurisdiction: String?
    @Option(help: "Where it was given: web_form, phone, …") var channel: String?
    @Option(name: .customLong("notice-version"), help: "Version of the privacy notice shown.") var noticeVersion: String?
    @Option(help: "Reference to the proof (form id, recording id).") var evidence: String?

    func body(status: String, expiresAt: String?) -> JSONValue {
        var o: [String: JSONValue] = ["purpose": .string(purpose), "status": .string(status), "lawful_basis": .string(lawfulBasis)]
        if let jurisdiction { o["jurisdiction"] = .string(jurisdiction) }
        if let channel { o["channel"] = .string(channel) }
        if let noticeVersion { o["notice_version"] = .string(noticeVersion) }
        if let evidence { o["evidence"] = .string(evidence) }
        if let expiresAt { o["expires_at"] = .string(expiresAt) }
        return .object(o)
    }
}

struct ConsentGrant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grant", abstract: "Record that the subject granted consent for a purpose.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var event: ConsentEventOptions
    @Option(name: .customLong("expires-at"), help: "RFC 3339 time when the consent lapses.") var expiresAt: String?

    func run() async throws {
        try await reporting { try await ConsentRecorder.send(event.body(status: "granted", expiresAt: expiresAt), event.subjectID, connection) }
    }
}

struct ConsentWithdraw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "withdraw", abstract: "Record that the subject withdrew consent; effective on the next read.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var event: ConsentEventOptions

    func run() async throws {
        try await reporting { try await ConsentRecorder.send(event.body(status: "withdrawn", expiresAt: nil), event.subjectID, connection) }
    }
}

enum ConsentRecorder {
    static func send(_ body: JSONValue, _ subjectID: String, _ connection: ConnectionOptions) async throws {
        let recorded: RecordedConsentsBody = try await connection.client().send("POST", "v1/subjects/\(subjectID)/consents", body: body)
        if connection.json {
            try Output.json(recorded)
            return
        }
        for event in recorded.recorded {
            Output.line("Consent \(event.status) for \(event.purpose) (\(event.lawful_basis)) recorded on subject \(recorded.subject_id).")
        }
    }
}

struct ConsentShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show current consents and the ledger.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Subject id.") var subjectID: String

    func run() async throws {
        try await reporting {
            let consents: ConsentsBody = try await connection.client().send("GET", "v1/subjects/\(subjectID)/consents", as: ConsentsBody.self)
            if connection.json {
                try Output.json(consents)
                return
            }
            Output.line("Subject \(consents.subject_id)")
            if consents.current.isEmpty {
                Output.line("No consent recorded: nothing that needs consent is permitted.")
                return
            }
            Output.table(
                ["PURPOSE", "STATUS", "BASIS", "SINCE", "EXPIRES"],
                consents.current.map { [$0.purpose, $0.status, $0.lawful_basis, $0.occurred_at, $0.expires_at ?? "-"] })
            Output.line()
            Output.table(
                ["HISTORY", "STATUS", "BASIS", "AT", "CHANNEL", "NOTICE"],
                consents.history.map { [$0.purpose, $0.status, $0.lawful_basis, $0.occurred_at, $0.channel ?? "-", $0.notice_version ?? "-"] })
        }
    }
}

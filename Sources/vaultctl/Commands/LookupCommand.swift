import ArgumentParser
import VaultAPI
import VaultModel

struct LookupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup", abstract: "Find subject ids by identifiers, or by a source's record key (sent in the body, never in a URL).")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Email address.") var email: String?
    @Option(help: "Phone number.") var phone: String?
    @Option(name: .customLong("customer-id"), help: "Customer id.") var customerID: String?
    @Option(name: .customLong("device-id"), help: "Device id.") var deviceID: String?
    @Option(help: "A source system (with --record-key; compliance only).") var source: String?
    @Option(name: .customLong("record-key"), help: "The record's key in that source, e.g. a customer number quoted in a request.") var recordKey: String?

    func run() async throws {
        try await reporting {
            var identifiers: [String: JSONValue] = [:]
            if let email { identifiers["email"] = .string(email) }
            if let phone { identifiers["phone"] = .string(phone) }
            if let customerID { identifiers["customer_id"] = .string(customerID) }
            if let deviceID { identifiers["device_id"] = .string(deviceID) }
            let request: LookupRequest
            switch (identifiers.isEmpty, source, recordKey) {
            case (false, nil, nil): request = LookupRequest(identifiers: identifiers)
            case (true, let source?, let key?): request = LookupRequest(source_record: SourceRecordReference(source: source, key: key))
            case (true, nil, nil):
                throw Failure.usage("give at least one identifier (--email, --phone, --customer-id, --device-id), or --source with --record-key")
            default: throw Failure.usage("give identifiers, or --source with --record-key, not both")
            }
            let found: LookupResponse = try await connection.client().send("POST", "v1/subjects/lookup", body: request)
            if connection.json {
                try Output.json(found)
                return
            }
            if found.subject_ids.isEmpty { Output.note("No subject matches.") }
            Output.table(["SUBJECT_ID"], found.subject_ids.map { [$0] })
        }
    }
}

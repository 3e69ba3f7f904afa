import ArgumentParser
import VaultAPI
import VaultModel

struct LookupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup", abstract: "Find subject ids by identifiers (sent in the body, never in a URL).")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Email address.") var email: String?
    @Option(help: "Phone number.") var phone: String?
    @Option(name: .customLong("customer-id"), help: "Customer id.") var customerID: String?
    @Option(name: .customLong("device-id"), help: "Device id.") var deviceID: String?

    func run() async throws {
        try await reporting {
            var identifiers: [String: JSONValue] = [:]
            if let email { identifiers["email"] = .string(email) }
            if let phone { identifiers["phone"] = .string(phone) }
            if let customerID { identifiers["customer_id"] = .string(customerID) }
            if let deviceID { identifiers["device_id"] = .string(deviceID) }
            guard !identifiers.isEmpty else { throw Failure.usage("give at least one identifier (--email, --phone, --customer-id, --device-id)") }
            let found: LookupResponse = try await connection.client().send("POST", "v1/subjects/lookup", body: LookupRequest(identifiers: identifiers))
            if connection.json { try Output.json(found); return }
            if found.subject_ids.isEmpty { Output.line("No subject matches.") }
            Output.table(["SUBJECT_ID"], found.subject_ids.map { [$0] })
        }
    }
}

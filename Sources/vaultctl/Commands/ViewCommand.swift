import ArgumentParser
import VaultAPI

struct ViewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view", abstract: "Show a subject's 360 view as your role may see it for a purpose.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Subject id.") var subjectID: String
    @Option(help: "The purpose of this read (X-Purpose), held by your role.") var purpose: String

    func run() async throws {
        try await reporting {
            let view: SubjectViewBody = try await connection.client().send(
                "GET", "v1/subjects/\(subjectID)", headers: ["X-Purpose": purpose], as: SubjectViewBody.self)
            if connection.json { try Output.json(view); return }
            Output.line("Subject \(view.subject_id)  role \(view.role)  purpose \(view.purpose)  policy \(view.policy_version)\(view.restricted ? "  RESTRICTED" : "")")
            Output.line("Sources: \(view.sources.joined(separator: ", "))")
            Output.line()
            if view.fields.isEmpty { Output.line("No field is visible to this role for this purpose.") }
            else { Output.table(["FIELD", "VALUE"], view.fields.keys.sorted().map { [$0, view.fields[$0]!] }) }
            if let a = view.aggregates {
                Output.line()
                Output.table(["ORDERS", "LIFETIME VALUE", "OPEN TICKETS", "LAST CONTACT"],
                             [[String(a.order_count), String(format: "%.2f", a.lifetime_value), String(a.open_tickets), a.last_contact ?? "-"]])
            }
        }
    }
}

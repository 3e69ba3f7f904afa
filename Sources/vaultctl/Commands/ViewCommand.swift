import ArgumentParser
import VaultAPI

struct ViewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view", abstract: "Show a subject's 360 view as your role may see it for a purpose.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Subject id.") var subjectID: String
    @Option(help: "The purpose of this read (X-Purpose), held by your role.") var purpose: String
    @Flag(help: "Show how each field was decided (action, rule, reason).") var explain = false

    func run() async throws {
        try await reporting {
            let view: SubjectViewBody = try await connection.client().send(
                "GET", "v1/subjects/\(subjectID)" + (explain ? "?explain=true" : ""), headers: ["X-Purpose": purpose], as: SubjectViewBody.self)
            if connection.json {
                try Output.json(view)
                return
            }
            Output.line(
                "Subject \(view.subject_id)  role \(view.role)  purpose \(view.purpose)  policy \(view.policy_version)\(view.restricted ? "  RESTRICTED" : "")")
            Output.line("Sources: \(view.sources.joined(separator: ", "))")
            Output.line()
            if view.fields.isEmpty {
                Output.line("No field is visible to this role for this purpose.")
            } else if !explain {
                Output.table(["FIELD", "VALUE"], view.fields.keys.sorted().map { [$0, view.fields[$0]!] })
            }
            if let decisions = view.decisions {
                Output.table(
                    ["FIELD", "VALUE", "ACTION", "REASON", "RULE"],
                    decisions.keys.sorted().map {
                        [$0, view.fields[$0] ?? "-", decisions[$0]!.action, decisions[$0]!.reason, decisions[$0]!.rule ?? "none (deny by default)"]
                    })
            }
            if let a = view.aggregates {
                Output.line()
                Output.table(
                    ["ORDERS", "LIFETIME VALUE", "OPEN TICKETS", "LAST CONTACT"],
                    [
                        [
                            a.order_count.map(String.init) ?? "-", a.lifetime_value.map { String(format: "%.2f", $0) } ?? "-",
                            a.open_tickets.map(String.init) ?? "-", a.last_contact ?? "-",
                        ]
                    ])
            }
        }
    }
}

import ArgumentParser
import Foundation
import VaultAPI

/// `vaultctl whoami`: which token this is, as the vault sees it.
struct WhoAmICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami", abstract: "Show the principal of the token in use: its role and purposes, or its source.",
        discussion: "Example: PROFILEVAULT_TOKEN=$SUPPORT vaultctl whoami")
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let me: WhoAmIBody = try await connection.client().send("GET", "v1/whoami", as: WhoAmIBody.self)
            if connection.json {
                try Output.json(me)
                return
            }
            Output.table(
                ["PRINCIPAL", "ROLE", "SOURCE", "PURPOSES", "TOKEN"],
                [[me.principal, me.role ?? "-", me.source ?? "-", me.purposes?.joined(separator: ", ") ?? "-", me.token_id]])
        }
    }
}

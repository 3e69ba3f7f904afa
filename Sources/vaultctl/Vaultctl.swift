import ArgumentParser
import VaultModel

@main
struct Vaultctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vaultctl",
        abstract: "Administer a ProfileVault: tokens, imports, lookups and views.",
        discussion: """
            Connects to PROFILEVAULT_ADDR (default http://127.0.0.1:8420) with PROFILEVAULT_TOKEN, or --addr/--token.
            Exit codes: 0 ok, 1 failed, 64 usage, 65 invalid input, 66 input file missing, 69 vaultd unreachable, 77 denied.
            """,
        version: ProductVersion.current,
        subcommands: [
            PolicyCommand.self, TokenCommand.self, ImportCommand.self, LookupCommand.self, ViewCommand.self, ConsentCommand.self, RequestCommand.self,
            AuditCommand.self, KeysCommand.self, RetentionCommand.self, BackupCommand.self, RestoreCommand.self, WhoAmICommand.self,
        ])
}

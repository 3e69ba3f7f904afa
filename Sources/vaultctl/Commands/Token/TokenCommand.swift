import ArgumentParser
import VaultAPI

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke principals' tokens (admin).",
        subcommands: [TokenCreate.self, TokenList.self, TokenRevoke.self, TokenApprove.self])
}

struct TokenCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a role token or a source ingest token; the token is shown once.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Principal name, e.g. support-app or crm-sync.") var principal: String
    @Option(help: "Role of the principal (support, marketing, compliance, …).") var role: String?
    @Option(help: "Source the principal may ingest into (crm, billing, …).") var source: String?

    func run() async throws {
        try await reporting {
            guard (role == nil) != (source == nil) else { throw Failure.usage("give exactly one of --role or --source") }
            let created: CreatedTokenBody = try await connection.client().send(
                "POST", "v1/tokens", body: CreateTokenRequest(principal: principal, role: role, source: source))
            if connection.json {
                try Output.json(created)
                return
            }
            Output.table(
                ["ID", "PRINCIPAL", "SCOPE", "TOKEN"],
                [[created.id, created.principal, created.role.map { "role \($0)" } ?? "source \(created.source ?? "")", created.token]])
            Output.line()
            Output.line("The token is shown only now; the vault keeps only its hash.")
            if created.privileged == true {
                Output.line("Privileged grant: role \(created.role ?? "") is shown personal values; audited as token.create.privileged.")
            }
            if created.awaiting_approval == true {
                Output.line("Dual control: the token works once a second principal runs `vaultctl token approve \(created.id)`.")
            }
        }
    }
}

struct TokenList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List principals and their tokens (never the tokens themselves).")
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let list: TokenListBody = try await connection.client().send("GET", "v1/tokens", as: TokenListBody.self)
            if connection.json {
                try Output.json(list)
                return
            }
            Output.table(
                ["ID", "PRINCIPAL", "SCOPE", "CREATED", "STATUS"],
                list.tokens.map {
                    [
                        $0.id, $0.principal, $0.role.map { "role \($0)" } ?? "source \($0.source ?? "")", $0.created_at,
                        $0.revoked_at.map { "revoked \($0)" } ?? ($0.awaiting_approval == true ? "awaiting approval" : "active"),
                    ]
                })
        }
    }
}

struct TokenRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token; it fails from the next request on.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Token id (from token list).") var id: String

    func run() async throws {
        try await reporting {
            _ = try await connection.client().raw("DELETE", "v1/tokens/\(id)")
            if connection.json { try Output.json(["revoked": id]) } else { Output.line("Revoked token \(id).") }
        }
    }
}

struct TokenApprove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Dual control: approve a privileged grant (compliance; not its creator); the token works from then on.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Token id (from token list).") var id: String

    func run() async throws {
        try await reporting {
            let approved: TokenBody = try await connection.client().send("POST", "v1/tokens/\(id)/approve", as: TokenBody.self)
            if connection.json { try Output.json(approved) } else { Output.line("Approved token \(approved.id) of \(approved.principal).") }
        }
    }
}

import Foundation
import Logging
import PostgresStorage
import ServiceLifecycle
import Vault
import VaultServer

/// vaultd's start as named steps, run as the last service of vaultd's one service group (after
/// the PostgreSQL pool, when there is one, so the pool stops after the server):
/// check the port → lock the data directory → open the vault → (approve a token and stop) → the
/// initial admin token → the demo data → serve until SIGINT/SIGTERM.
struct VaultdStartup: Service {
    let configuration: VaultdConfiguration
    /// Run by the service group before this one.
    let postgres: PostgresVaultStore?
    let logger: Logger

    func run() async throws {
        // Before anything is opened, seeded or printed (tokens are shown once).
        if configuration.approveToken == nil, let problem = PortCheck.problem(host: configuration.server.host, port: configuration.server.port) {
            throw StartupFailure(message: "vaultd could not start: \(problem)")
        }
        let lock = try lockDataDirectory()
        defer { withExtendedLifetime(lock) {} }
        let vault = try await openVault()
        if let approveToken = configuration.approveToken {
            try await approve(approveToken, in: vault)
            return
        }
        try await issueInitialAdminToken(vault)
        if configuration.demo { try await loadDemo(vault) }
        try await serve(vault)
    }

    /// One vaultd per data directory (its key file, ledger, anchors).
    func lockDataDirectory() throws -> DataDirectoryLock {
        do { return try DataDirectoryLock(directory: configuration.dataDirectory) } catch {
            throw StartupFailure(message: "vaultd could not start: \(error)")
        }
    }

    func openVault() async throws -> ProfileVault {
        let c = configuration
        let crashPoint = c.crashPoint
        // Crash tests name a point where vaultd dies as if killed (see RequestService.faultPoint).
        let faultPoint: @Sendable (String) -> Void = { point in if point == crashPoint { ProcessHardening.crash() } }
        do {
            if let postgres {
                logger.info("storage: PostgreSQL", metadata: ["database": .string(postgres.location.description)])
                try await postgres.prepare()
                return try await ProfileVault.open(
                    store: postgres, dataDirectory: c.dataDirectory, policies: c.policyDirectory, keySource: c.keySource,
                    phoneRegion: c.phoneRegion, maximumBatch: c.maximumBatch, dualControl: c.dualControl, faultPoint: faultPoint)
            }
            return try await ProfileVault.openSQLite(
                dataDirectory: c.dataDirectory, policies: c.policyDirectory, keySource: c.keySource,
                phoneRegion: c.phoneRegion, maximumBatch: c.maximumBatch, dualControl: c.dualControl, faultPoint: faultPoint)
        } catch {
            // Key and catalog errors describe themselves without secrets or personal data.
            throw StartupFailure(message: "vaultd could not start: \(error)")
        }
    }

    /// At the host, out of band: whoever holds the data directory (and its master key) approves
    /// the grant that no compliance principal exists yet to approve.
    func approve(_ token: String, in vault: ProfileVault) async throws {
        guard let id = UUID(uuidString: token) else { throw StartupFailure(message: "vaultd: --approve-token needs a token id") }
        do {
            let approved = try await vault.tokens.approve(id, caller: .system("host-operator"))
            Console.line("Approved token \(approved.id.uuidString.lowercased()) of \(approved.principal) (role \(approved.role ?? "-")).")
        } catch let error as TokenError {
            throw StartupFailure(message: "vaultd could not approve the token: \(error)")
        }
    }

    /// On the first start only: printed once, or taken from `PROFILEVAULT_ROOT_TOKEN`.
    func issueInitialAdminToken(_ vault: ProfileVault) async throws {
        let preset = configuration.presetRootToken
        guard let token = try await Bootstrap(vault: vault).initialAdminToken(preset: preset) else { return }
        if preset != nil {
            Console.line("Admin token: taken from PROFILEVAULT_ROOT_TOKEN (not printed).")
        } else {
            Console.line("Admin token (shown once; store it safely): \(token.unsafeValue)")
        }
    }

    func loadDemo(_ vault: ProfileVault) async throws {
        let people = configuration.demoPeople
        Console.line("Loading the demo dataset (\(people) people)…")
        guard let result = try await Bootstrap(vault: vault).loadDemo(people: people) else {
            Console.line(
                "Demo data already loaded; its tokens were printed on the first start. To start the demo over, stop vaultd and remove \(configuration.dataDirectory.path)."
            )
            return
        }
        Console.line("Demo loaded: \(result.summary.records) records, \(result.summary.events) events, \(result.summary.subjects) subjects.")
        Console.line("Demo tokens (shown once):")
        for token in result.tokens {
            let principal = token.principal.padding(toLength: 22, withPad: " ", startingAt: 0)
            let scope = token.scope.padding(toLength: 18, withPad: " ", startingAt: 0)
            Console.line("  \(principal) \(scope) \(token.token.unsafeValue)")
        }
    }

    /// The HTTP server and its background services, until the group shuts down gracefully.
    func serve(_ vault: ProfileVault) async throws {
        let server = configuration.server
        let scheme = server.tls == nil ? "http" : "https"
        let app = try buildApplication(
            vault: vault, configuration: server, logger: logger,
            onServerRunning: { [host = server.host] port in Console.line("vaultd listening on \(scheme)://\(host):\(port)") })
        try await app.run()
    }
}

struct StartupFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

import ArgumentParser
import Foundation
import Logging
import Vault
import VaultServer

/// `vaultd`: resolve the configuration (flags > PROFILEVAULT_* environment > defaults),
/// open the vault, run the server until SIGINT/SIGTERM.
@main
struct VaultdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vaultd",
        abstract: "The ProfileVault daemon: a privacy vault for the Customer 360 view.",
        discussion: """
            Every option can also be set in the environment as PROFILEVAULT_<NAME> (e.g. PROFILEVAULT_PORT);
            flags win over the environment. The master key comes from <data-dir>/master.key (created 0600 on
            first start) or from PROFILEVAULT_MASTER_KEY. PROFILEVAULT_ROOT_TOKEN, when set on the first start,
            becomes the initial admin token instead of a random one.
            """)

    @Option(help: "Address to listen on (PROFILEVAULT_HOST).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free port (PROFILEVAULT_PORT).") var port: Int?
    @Option(name: .customLong("data-dir"), help: "Directory of the SQLite database and master key (PROFILEVAULT_DATA_DIR).") var dataDir: String?
    @Option(help: "Database URL; SQLite in the data directory by default (PROFILEVAULT_DATABASE).") var database: String?
    @Option(help: "Policy bundle directory (PROFILEVAULT_POLICIES).") var policies: String?
    @Flag(help: "Load the synthetic demo dataset on first start and print tokens to try it.") var demo = false
    @Option(name: .customLong("demo-people"), help: "People in the demo dataset.") var demoPeople = 3000
    @Option(name: .customLong("phone-region"), help: "Region for national phone numbers (PROFILEVAULT_PHONE_REGION).") var phoneRegion: String?
    @Option(name: .customLong("max-batch"), help: "Most records or events in one ingest batch (PROFILEVAULT_MAX_BATCH).") var maxBatch: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (PROFILEVAULT_LOG_LEVEL).") var logLevel: String?
    @Option(name: .customLong("anchor-interval"), help: "Seconds between signed audit anchors (PROFILEVAULT_ANCHOR_INTERVAL).") var anchorInterval: Int?

    func run() async throws {
        ProcessHardening.disableCoreDumps()
        let env = ProcessInfo.processInfo.environment
        @Sendable func setting(_ flag: String?, _ name: String, _ fallback: String) -> String { flag ?? env["PROFILEVAULT_\(name)"] ?? fallback }

        let level = Logger.Level(rawValue: setting(logLevel, "LOG_LEVEL", "info")) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "vaultd")

        let databaseURL = setting(database, "DATABASE", "")
        if !databaseURL.isEmpty, !databaseURL.hasPrefix("sqlite:") {
            throw ValidationError("only the embedded SQLite store is available in this build; --database \(databaseURL.hasPrefix("postgres") ? "postgres://…" : "URL") is not supported yet")
        }
        guard let resolvedPort = Int(port.map(String.init) ?? env["PROFILEVAULT_PORT"] ?? "8420"), (0...65535).contains(resolvedPort) else {
            throw ValidationError("the port must be a number from 0 to 65535")
        }
        guard let anchorSeconds = Int(anchorInterval.map(String.init) ?? env["PROFILEVAULT_ANCHOR_INTERVAL"] ?? "60"), anchorSeconds >= 1 else {
            throw ValidationError("the anchor interval must be a whole number of seconds, at least 1")
        }
        let rewrapBatch = max(1, Int(env["PROFILEVAULT_REWRAP_BATCH"] ?? "500") ?? 500)
        let batchLimit = Int(maxBatch.map(String.init) ?? env["PROFILEVAULT_MAX_BATCH"] ?? "1000") ?? 1000
        let dataDirectory = URL(fileURLWithPath: setting(dataDir, "DATA_DIR", "data"))
        let policyDirectory = URL(fileURLWithPath: setting(policies, "POLICIES", "policies"))
        let keySource: MasterKeySource? = env[MasterKeySource.environmentVariable] != nil ? .environment(variable: MasterKeySource.environmentVariable) : nil

        // Crash tests name a point where vaultd dies as if killed (see RequestService.faultPoint).
        let crashPoint = env["PROFILEVAULT_FAULT_INJECTION"]
        let vault: ProfileVault
        let lock: DataDirectoryLock
        do {
            lock = try DataDirectoryLock(directory: dataDirectory)
        } catch {
            throw StartupFailure(message: "vaultd could not start: \(error)")
        }
        defer { withExtendedLifetime(lock) {} }
        do {
            vault = try await ProfileVault.openSQLite(dataDirectory: dataDirectory, policies: policyDirectory, keySource: keySource,
                                                      phoneRegion: setting(phoneRegion, "PHONE_REGION", "US"), maximumBatch: batchLimit,
                                                      faultPoint: { point in if point == crashPoint { ProcessHardening.crash() } })
        } catch {
            // Key and catalog errors describe themselves without secrets or personal data.
            throw StartupFailure(message: "vaultd could not start: \(error)")
        }

        let bootstrap = Bootstrap(vault: vault)
        if let token = try await bootstrap.initialAdminToken(preset: env["PROFILEVAULT_ROOT_TOKEN"]) {
            if env["PROFILEVAULT_ROOT_TOKEN"] != nil {
                Console.line("Admin token: taken from PROFILEVAULT_ROOT_TOKEN (not printed).")
            } else {
                Console.line("Admin token (shown once; store it safely): \(token.unsafeValue)")
            }
        }
        if demo {
            Console.line("Loading the demo dataset (\(demoPeople) people)…")
            if let result = try await bootstrap.loadDemo(people: demoPeople) {
                Console.line("Demo loaded: \(result.summary.records) records, \(result.summary.events) events, \(result.summary.subjects) subjects.")
                Console.line("Demo tokens (shown once):")
                for token in result.tokens {
                    Console.line("  \(token.principal.padding(toLength: 22, withPad: " ", startingAt: 0)) \(token.scope.padding(toLength: 18, withPad: " ", startingAt: 0)) \(token.token.unsafeValue)")
                }
            } else {
                Console.line("Demo data already loaded; its tokens were printed on the first start.")
            }
        }

        let listenHost = setting(host, "HOST", "127.0.0.1")
        let retentionSeconds = max(1, Int(env["PROFILEVAULT_RETENTION_INTERVAL"] ?? "86400") ?? 86_400)
        var configuration = ServerConfiguration(host: listenHost, port: resolvedPort, anchorInterval: .seconds(anchorSeconds), rewrapBatch: rewrapBatch)
        configuration.retentionInterval = .seconds(retentionSeconds)
        let app = buildApplication(
            vault: vault, configuration: configuration, logger: logger,
            onServerRunning: { [listenHost] port in
                Console.line("vaultd listening on http://\(listenHost):\(port)")
                    })
        try await app.runService()
        logger.info("vaultd stopped")
    }
}

struct StartupFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

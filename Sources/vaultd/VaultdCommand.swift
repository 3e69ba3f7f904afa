import ArgumentParser
import Foundation
import Logging
import PostgresStorage
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
            Settings resolve as flag > environment PROFILEVAULT_<KEY> > config file > default. The config file is
            --config FILE, PROFILEVAULT_CONFIG, or vaultd.yaml / vaultd.json in the working directory; its keys are
            host, port, data_dir, database, policies, phone_region, max_batch, log_level, anchor_interval,
            rewrap_batch, retention_interval, request_timeout, policy_refresh_ms (e.g. `port: 8420`). The master key comes from <data-dir>/master.key
            (created 0600 on first start) or from PROFILEVAULT_MASTER_KEY. PROFILEVAULT_ROOT_TOKEN, when set on the
            first start, becomes the initial admin token instead of a random one. Secrets are read from the
            environment only, never from the config file.
            """,
        subcommands: [RestoreCommand.self])

    @Option(help: "Address to listen on (PROFILEVAULT_HOST).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free port (PROFILEVAULT_PORT).") var port: Int?
    @Option(name: .customLong("data-dir"), help: "Directory of the SQLite database and master key (PROFILEVAULT_DATA_DIR).") var dataDir: String?
    @Option(help: "postgres://user@host:port/database?sslmode=disable|prefer|require to share one PostgreSQL database between replicas; SQLite in the data directory by default (PROFILEVAULT_DATABASE; the password from PROFILEVAULT_DATABASE_PASSWORD).") var database: String?
    @Option(help: "Policy bundle directory (PROFILEVAULT_POLICIES).") var policies: String?
    @Flag(help: "Load the synthetic demo dataset on first start and print tokens to try it.") var demo = false
    @Option(name: .customLong("approve-token"), help: "Dual control: approve the first compliance principal's token at the host (vaultd stopped), then exit.") var approveToken: String?
    @Flag(name: .customLong("dual-control"), help: "A token for a role shown personal values works only once a second principal approved it (PROFILEVAULT_DUAL_CONTROL).") var dualControl = false
    @Flag(name: .customLong("bench-routes"), help: "Also serve GET /bench/bare, the benchmarks' baseline route, and the view's steps under /v1/bench/ (admin token; benchmarks only).") var benchRoutes = false
    @Option(name: .customLong("demo-people"), help: "People in the demo dataset.") var demoPeople = 3000
    @Option(name: .customLong("phone-region"), help: "Region for national phone numbers (PROFILEVAULT_PHONE_REGION).") var phoneRegion: String?
    @Option(name: .customLong("max-batch"), help: "Most records or events in one ingest batch (PROFILEVAULT_MAX_BATCH).") var maxBatch: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (PROFILEVAULT_LOG_LEVEL).") var logLevel: String?
    @Option(name: .customLong("anchor-interval"), help: "Seconds between signed audit anchors (PROFILEVAULT_ANCHOR_INTERVAL).") var anchorInterval: Int?
    @Option(name: .customLong("rewrap-batch"), help: "Data keys re-wrapped per batch during a key rotation (PROFILEVAULT_REWRAP_BATCH).") var rewrapBatch: Int?
    @Option(name: .customLong("retention-interval"), help: "Seconds between retention sweeps (PROFILEVAULT_RETENTION_INTERVAL).") var retentionInterval: Int?
    @Option(help: "Config file (YAML or JSON; PROFILEVAULT_CONFIG).") var config: String?
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted (PROFILEVAULT_MAX_BODY_BYTES).") var maxBodyBytes: Int?
    @Option(name: .customLong("lookups-per-minute"), help: "Lookups per principal per minute; more answer 429 (PROFILEVAULT_LOOKUPS_PER_MINUTE).") var lookupsPerMinute: Int?
    @Option(name: .customLong("request-timeout"), help: "Seconds a client has to send a whole request; slower ones are disconnected (PROFILEVAULT_REQUEST_TIMEOUT).") var requestTimeout: Int?
    @Option(name: .customLong("policy-refresh-ms"), help: "With --database postgres://…: milliseconds between looks for a policy version applied by another replica (PROFILEVAULT_POLICY_REFRESH_MS).") var policyRefresh: Int?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS (PROFILEVAULT_TLS_CERT).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key, mode 0600 (PROFILEVAULT_TLS_KEY).") var tlsKey: String?

    func run() async throws {
        ProcessHardening.disableCoreDumps()
        ProcessHardening.restrictCreatedFiles()
        let env = ProcessInfo.processInfo.environment
        let settings = try await VaultdSettings.load(configPath: config)

        let level = Logger.Level(rawValue: settings.string(logLevel, "log_level", default: "info")) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "vaultd")
        if let file = settings.fileDescription { logger.info("configuration file", metadata: ["path": .string(file)]) }

        let databaseURL = settings.string(database, "database", default: "")
        let postgres: PostgresLocation?
        if PostgresLocation.isPostgresURL(databaseURL) {
            do { postgres = try PostgresLocation(url: databaseURL, password: env["PROFILEVAULT_DATABASE_PASSWORD"]) } catch {
                throw ValidationError("\(error)")
            }
        } else if databaseURL.isEmpty || databaseURL.hasPrefix("sqlite:") {
            postgres = nil
        } else {
            throw ValidationError("--database takes postgres://user@host:port/database (or nothing, for SQLite in the data directory)")
        }
        let resolvedPort = try settings.int(port, "port", default: 8420)
        guard (0...65535).contains(resolvedPort) else { throw ValidationError("the port must be a number from 0 to 65535") }
        let bodyLimit = try settings.int(maxBodyBytes, "max_body_bytes", default: ServerLimits.defaultBodyBytes)
        guard (1024...(256 * 1024 * 1024)).contains(bodyLimit) else { throw ValidationError("max_body_bytes must be 1 KiB to 256 MiB") }
        ServerLimits.configure(maximumBodyBytes: bodyLimit)
        let batchLimit = try settings.int(maxBatch, "max_batch", default: 1000)
        guard (1...10_000).contains(batchLimit) else { throw ValidationError("max_batch must be 1 to 10000") }
        let anchorSeconds = try settings.int(anchorInterval, "anchor_interval", default: 60)
        guard anchorSeconds >= 1 else { throw ValidationError("the anchor interval must be at least 1 second") }
        let rewrapSize = max(1, try settings.int(rewrapBatch, "rewrap_batch", default: 500))
        let retentionSeconds = max(1, try settings.int(retentionInterval, "retention_interval", default: 86_400))
        let dataDirectory = URL(fileURLWithPath: settings.string(dataDir, "data_dir", default: "data"))
        let policyDirectory = URL(fileURLWithPath: settings.string(policies, "policies", default: "policies"))
        let region = settings.string(phoneRegion, "phone_region", default: "US")
        let listenHost = settings.string(host, "host", default: "127.0.0.1")
        let dual = try settings.bool(dualControl, "dual_control")
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
            let faultPoint: @Sendable (String) -> Void = { point in if point == crashPoint { ProcessHardening.crash() } }
            if let postgres {
                logger.info("storage: PostgreSQL", metadata: ["database": .string(postgres.description)])
                let store = try await PostgresVaultStore(location: postgres, logger: logger)
                vault = try await ProfileVault.open(store: store, dataDirectory: dataDirectory, policies: policyDirectory, keySource: keySource,
                                                    phoneRegion: region, maximumBatch: batchLimit, dualControl: dual, faultPoint: faultPoint)
            } else {
                vault = try await ProfileVault.openSQLite(dataDirectory: dataDirectory, policies: policyDirectory, keySource: keySource,
                                                          phoneRegion: region, maximumBatch: batchLimit, dualControl: dual, faultPoint: faultPoint)
            }
        } catch {
            // Key and catalog errors describe themselves without secrets or personal data.
            throw StartupFailure(message: "vaultd could not start: \(error)")
        }

        if let approveToken {
            // At the host, out of band: whoever holds the data directory (and its master key)
            // approves the grant that no compliance principal exists yet to approve.
            guard let id = UUID(uuidString: approveToken) else { throw StartupFailure(message: "vaultd: --approve-token needs a token id") }
            do {
                let approved = try await vault.tokens.approve(id, caller: .system("host-operator"))
                Console.line("Approved token \(approved.id.uuidString.lowercased()) of \(approved.principal) (role \(approved.role ?? "-")).")
                return
            } catch let error as TokenError {
                throw StartupFailure(message: "vaultd could not approve the token: \(error)")
            }
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

        var configuration = ServerConfiguration(host: listenHost, port: resolvedPort, anchorInterval: .seconds(anchorSeconds), rewrapBatch: rewrapSize)
        configuration.retentionInterval = .seconds(retentionSeconds)
        configuration.lookupsPerMinute = max(1, try settings.int(lookupsPerMinute, "lookups_per_minute", default: 600))
        configuration.benchRoutes = benchRoutes
        configuration.revealOutcomes = demo
        configuration.requestTimeout = .seconds(max(1, try settings.int(requestTimeout, "request_timeout", default: 20)))
        if postgres != nil {
            configuration.policyRefreshInterval = .milliseconds(max(100, try settings.int(policyRefresh, "policy_refresh_ms", default: 2000)))
        }
        let certificate = settings.string(tlsCert, "tls_cert", default: ""), privateKey = settings.string(tlsKey, "tls_key", default: "")
        guard certificate.isEmpty == privateKey.isEmpty else { throw ValidationError("give both --tls-cert and --tls-key, or neither") }
        if !certificate.isEmpty { configuration.tls = (certificate, privateKey) }
        let scheme = certificate.isEmpty ? "http" : "https"
        let app = try buildApplication(
            vault: vault, configuration: configuration, logger: logger,
            onServerRunning: { [listenHost, scheme] port in
                Console.line("vaultd listening on \(scheme)://\(listenHost):\(port)")
                    })
        try await app.runService()
        logger.info("vaultd stopped")
    }
}

struct StartupFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

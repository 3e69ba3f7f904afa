import ArgumentParser
import Foundation
import Logging
import PostgresStorage
import ServiceLifecycle
import Vault
import VaultModel
import VaultServer

/// `vaultd`: resolve the configuration once (`VaultdConfiguration`: flags > PROFILEVAULT_*
/// environment > config file > defaults), then run `VaultdStartup`'s steps in one service group
/// until SIGINT/SIGTERM.
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
        version: ProductVersion.current,
        subcommands: [RestoreCommand.self])

    @Option(help: "Address to listen on (PROFILEVAULT_HOST).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free port (PROFILEVAULT_PORT).") var port: Int?
    @Option(name: .customLong("data-dir"), help: "Directory of the SQLite database and master key (PROFILEVAULT_DATA_DIR).") var dataDir: String?
    @Option(
        help:
            "postgres://user@host:port/database?sslmode=disable|prefer|require to share one PostgreSQL database between replicas; SQLite in the data directory by default (PROFILEVAULT_DATABASE; the password from PROFILEVAULT_DATABASE_PASSWORD)."
    ) var database: String?
    @Option(help: "Policy bundle directory (PROFILEVAULT_POLICIES).") var policies: String?
    @Flag(help: "Load the synthetic demo dataset on first start and print tokens to try it.") var demo = false
    @Option(name: .customLong("approve-token"), help: "Dual control: approve the first compliance principal's token at the host (vaultd stopped), then exit.")
    var approveToken: String?
    @Flag(
        name: .customLong("dual-control"),
        help: "A token for a role shown personal values works only once a second principal approved it (PROFILEVAULT_DUAL_CONTROL).") var dualControl = false
    @Flag(
        name: .customLong("bench-routes"),
        help: "Also serve GET /bench/bare, the benchmarks' baseline route, and the view's steps under /v1/bench/ (admin token; benchmarks only).")
    var benchRoutes = false
    @Option(name: .customLong("demo-people"), help: "People in the demo dataset.") var demoPeople = 3000
    @Option(name: .customLong("phone-region"), help: "Region for national phone numbers (PROFILEVAULT_PHONE_REGION).") var phoneRegion: String?
    @Option(name: .customLong("max-batch"), help: "Most records or events in one ingest batch (PROFILEVAULT_MAX_BATCH).") var maxBatch: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (PROFILEVAULT_LOG_LEVEL).") var logLevel: String?
    @Option(name: .customLong("anchor-interval"), help: "Seconds between signed audit anchors (PROFILEVAULT_ANCHOR_INTERVAL).") var anchorInterval: Int?
    @Option(name: .customLong("rewrap-batch"), help: "Data keys re-wrapped per batch during a key rotation (PROFILEVAULT_REWRAP_BATCH).") var rewrapBatch: Int?
    @Option(name: .customLong("retention-interval"), help: "Seconds between retention sweeps (PROFILEVAULT_RETENTION_INTERVAL).") var retentionInterval: Int?
    @Option(help: "Config file (YAML or JSON; PROFILEVAULT_CONFIG).") var config: String?
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted (PROFILEVAULT_MAX_BODY_BYTES).") var maxBodyBytes: Int?
    @Option(name: .customLong("lookups-per-minute"), help: "Lookups per principal per minute; more answer 429 (PROFILEVAULT_LOOKUPS_PER_MINUTE).")
    var lookupsPerMinute: Int?
    @Option(
        name: .customLong("request-timeout"), help: "Seconds a client has to send a whole request; slower ones are disconnected (PROFILEVAULT_REQUEST_TIMEOUT)."
    ) var requestTimeout: Int?
    @Option(
        name: .customLong("policy-refresh-ms"),
        help: "With --database postgres://…: milliseconds between looks for a policy version applied by another replica (PROFILEVAULT_POLICY_REFRESH_MS).")
    var policyRefresh: Int?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS (PROFILEVAULT_TLS_CERT).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key, mode 0600 (PROFILEVAULT_TLS_KEY).") var tlsKey: String?

    func run() async throws {
        ProcessHardening.disableCoreDumps()
        ProcessHardening.restrictCreatedFiles()
        let environment = ProcessInfo.processInfo.environment
        let settings = try await VaultdSettings.load(configPath: config, environment: environment)
        let configuration = try VaultdConfiguration.resolve(self, settings: settings, environment: environment)
        let logger = Self.bootstrapLogging(configuration.logLevel)
        if let file = settings.fileDescription { logger.info("configuration file", metadata: ["path": .string(file)]) }
        ServerLimits.configure(maximumBodyBytes: configuration.maximumBodyBytes)

        // One service group: the PostgreSQL pool (if any) first, so it stops last.
        let postgres = configuration.postgres.map { PostgresVaultStore(location: $0, logger: logger) }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = postgres.map { [.init(service: $0)] } ?? []
        services.append(
            .init(
                service: VaultdStartup(configuration: configuration, postgres: postgres, logger: logger),
                successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("vaultd stopped")
    }

    static func bootstrapLogging(_ level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "vaultd")
    }
}

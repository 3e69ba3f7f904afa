import ArgumentParser
import Foundation
import Logging
import PostgresStorage
import Vault
import VaultServer

/// Everything vaultd runs with, resolved once (flag > `PROFILEVAULT_<KEY>` > config file >
/// default) and checked before anything is opened. A test builds one from flags, an
/// environment and a file without starting anything (`VaultdConfigurationTests`).
struct VaultdConfiguration {
    var logLevel: Logger.Level
    /// nil: SQLite in the data directory.
    var postgres: PostgresLocation?
    var dataDirectory: URL
    var policyDirectory: URL
    var phoneRegion: String
    var maximumBatch: Int
    var maximumBodyBytes: Int
    var dualControl: Bool
    /// nil: the master key file in the data directory.
    var keySource: MasterKeySource?
    var server: ServerConfiguration
    var demo: Bool
    var demoPeople: Int
    var approveToken: String?
    /// The initial admin token, when `PROFILEVAULT_ROOT_TOKEN` presets it (a secret: the
    /// environment only, never a config file).
    var presetRootToken: String?
    /// A point where vaultd dies as if killed (`PROFILEVAULT_FAULT_INJECTION`, crash tests).
    var crashPoint: String?

    static func resolve(_ flags: VaultdCommand, settings: VaultdSettings, environment: [String: String]) throws -> VaultdConfiguration {
        let databaseURL = settings.string(flags.database, "database", default: "")
        let postgres: PostgresLocation?
        if PostgresLocation.isPostgresURL(databaseURL) {
            do { postgres = try PostgresLocation(url: databaseURL, password: environment["PROFILEVAULT_DATABASE_PASSWORD"]) } catch {
                throw ValidationError("\(error)")
            }
        } else if databaseURL.isEmpty || databaseURL.hasPrefix("sqlite:") {
            postgres = nil
        } else {
            throw ValidationError("--database takes postgres://user@host:port/database (or nothing, for SQLite in the data directory)")
        }
        let port = try settings.int(flags.port, "port", default: 8420)
        guard (0...65535).contains(port) else { throw ValidationError("the port must be a number from 0 to 65535") }
        let bodyLimit = try settings.int(flags.maxBodyBytes, "max_body_bytes", default: ServerLimits.defaultBodyBytes)
        guard (1024...(256 * 1024 * 1024)).contains(bodyLimit) else { throw ValidationError("max_body_bytes must be 1 KiB to 256 MiB") }
        let batchLimit = try settings.int(flags.maxBatch, "max_batch", default: 1000)
        guard (1...10_000).contains(batchLimit) else { throw ValidationError("max_batch must be 1 to 10000") }
        let anchorSeconds = try settings.int(flags.anchorInterval, "anchor_interval", default: 60)
        guard anchorSeconds >= 1 else { throw ValidationError("the anchor interval must be at least 1 second") }

        var server = ServerConfiguration(
            host: settings.string(flags.host, "host", default: "127.0.0.1"), port: port, anchorInterval: .seconds(anchorSeconds),
            rewrapBatch: max(1, try settings.int(flags.rewrapBatch, "rewrap_batch", default: 500)))
        server.retentionInterval = .seconds(max(1, try settings.int(flags.retentionInterval, "retention_interval", default: 86_400)))
        server.lookupsPerMinute = max(1, try settings.int(flags.lookupsPerMinute, "lookups_per_minute", default: 600))
        server.benchRoutes = flags.benchRoutes
        server.revealOutcomes = flags.demo
        server.requestTimeout = .seconds(max(1, try settings.int(flags.requestTimeout, "request_timeout", default: 20)))
        if postgres != nil {
            server.policyRefreshInterval = .milliseconds(max(100, try settings.int(flags.policyRefresh, "policy_refresh_ms", default: 2000)))
        }
        let certificate = settings.string(flags.tlsCert, "tls_cert", default: "")
        let privateKey = settings.string(flags.tlsKey, "tls_key", default: "")
        guard certificate.isEmpty == privateKey.isEmpty else { throw ValidationError("give both --tls-cert and --tls-key, or neither") }
        if !certificate.isEmpty { server.tls = (certificate, privateKey) }

        return VaultdConfiguration(
            logLevel: Logger.Level(rawValue: settings.string(flags.logLevel, "log_level", default: "info")) ?? .info,
            postgres: postgres,
            dataDirectory: URL(fileURLWithPath: settings.string(flags.dataDir, "data_dir", default: "data")),
            policyDirectory: URL(fileURLWithPath: settings.string(flags.policies, "policies", default: "policies")),
            phoneRegion: settings.string(flags.phoneRegion, "phone_region", default: "US"),
            maximumBatch: batchLimit, maximumBodyBytes: bodyLimit, dualControl: try settings.bool(flags.dualControl, "dual_control"),
            keySource: environment[MasterKeySource.environmentVariable] != nil ? .environment(variable: MasterKeySource.environmentVariable) : nil,
            server: server, demo: flags.demo, demoPeople: flags.demoPeople, approveToken: flags.approveToken,
            presetRootToken: environment["PROFILEVAULT_ROOT_TOKEN"], crashPoint: environment["PROFILEVAULT_FAULT_INJECTION"])
    }
}

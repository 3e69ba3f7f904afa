import Configuration
import Foundation
import SystemPackage

/// vaultd's settings, resolved once: flag > environment (`PROFILEVAULT_<KEY>`) > config file
/// (`vaultd.yaml` or `vaultd.json`, or `--config FILE`) > default. Keys are snake_case:
/// host, port, data_dir, database, policies, phone_region, max_batch, log_level,
/// anchor_interval, rewrap_batch, retention_interval, max_body_bytes, lookups_per_minute,
/// request_timeout, tls_cert, tls_key, dual_control. Secrets (the master key, the root token)
/// come from the environment only, never from a config file.
struct VaultdSettings {
    let environment: ConfigReader
    let file: ConfigReader?
    let fileDescription: String?

    static func load(configPath: String?, environment variables: [String: String] = ProcessInfo.processInfo.environment) async throws -> VaultdSettings {
        let environment = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: variables)).scoped(to: "profilevault")
        let explicit = configPath ?? variables["PROFILEVAULT_CONFIG"]
        let candidates = explicit.map { [$0] } ?? ["vaultd.yaml", "vaultd.yml", "vaultd.json"]
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            let provider: any ConfigProvider =
                path.hasSuffix(".json")
                ? try await FileProvider<JSONSnapshot>(filePath: FilePath(path))
                : try await FileProvider<YAMLSnapshot>(filePath: FilePath(path))
            return VaultdSettings(environment: environment, file: ConfigReader(provider: provider), fileDescription: path)
        }
        if let explicit { throw SettingsError.missingFile(explicit) }
        return VaultdSettings(environment: environment, file: nil, fileDescription: nil)
    }

    func string(_ flag: String?, _ key: String, default fallback: String) -> String {
        flag ?? environment.string(forKey: ConfigKey(key)) ?? file?.string(forKey: ConfigKey(key)) ?? fallback
    }

    func bool(_ flag: Bool, _ key: String) throws -> Bool {
        if flag { return true }
        let text = environment.string(forKey: ConfigKey(key)) ?? file?.bool(forKey: ConfigKey(key)).map(String.init) ?? file?.string(forKey: ConfigKey(key))
        switch text?.lowercased() {
        case nil, "false", "0", "no": return false
        case "true", "1", "yes": return true
        default: throw SettingsError.notABoolean(key)
        }
    }

    func int(_ flag: Int?, _ key: String, default fallback: Int) throws -> Int {
        if let flag { return flag }
        if let text = environment.string(forKey: ConfigKey(key)) {
            guard let value = Int(text) else { throw SettingsError.notANumber(key) }
            return value
        }
        if let value = file?.int(forKey: ConfigKey(key)) { return value }
        if let text = file?.string(forKey: ConfigKey(key)) {
            guard let value = Int(text) else { throw SettingsError.notANumber(key) }
            return value
        }
        return fallback
    }
}

enum SettingsError: Error, CustomStringConvertible {
    case missingFile(String)
    case notANumber(String)
    case notABoolean(String)
    var description: String {
        switch self {
        case .missingFile(let path): "the config file \(path) does not exist"
        case .notANumber(let key): "the setting \(key) must be a whole number"
        case .notABoolean(let key): "the setting \(key) must be true or false"
        }
    }
}

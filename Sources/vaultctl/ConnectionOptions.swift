import ArgumentParser
import Foundation
import VaultClient

/// Where vaultd is and who we are: flags win over PROFILEVAULT_ADDR / PROFILEVAULT_TOKEN.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "vaultd address (PROFILEVAULT_ADDR).") var addr: String?
    @Option(help: "Bearer token (PROFILEVAULT_TOKEN). Prefer the environment: flags show in process lists.") var token: String?
    @Flag(help: "Print JSON for scripts instead of tables.") var json = false
    @Option(help: "Seconds to wait for vaultd's answer (PROFILEVAULT_TIMEOUT); 15 by default, 600 for imports, exports, backups and retention runs.")
    var timeout: Double?

    /// `longRunning`: imports, exports, backups and retention runs wait longer by default.
    func client(longRunning: Bool = false) throws -> VaultClient {
        let env = ProcessInfo.processInfo.environment
        let address = addr ?? env["PROFILEVAULT_ADDR"] ?? "http://127.0.0.1:8420"
        guard let url = URL(string: address.hasSuffix("/") ? address : address + "/"), url.scheme == "http" || url.scheme == "https" else {
            throw Failure.usage("the address \(address) is not an http(s) URL")
        }
        guard let token = token ?? env["PROFILEVAULT_TOKEN"], !token.isEmpty else {
            throw Failure.usage("no token: set PROFILEVAULT_TOKEN or pass --token")
        }
        var seconds = longRunning ? 600.0 : 15.0
        if let given = timeout ?? env["PROFILEVAULT_TIMEOUT"].map({ Double($0) ?? .nan }) {
            guard given.isFinite, given > 0 else { throw Failure.usage("the timeout must be a number of seconds above 0") }
            seconds = given
        }
        return VaultClient(baseURL: url, token: token, timeout: seconds)
    }
}

import ArgumentParser
import Foundation
import VaultAPI
import VaultClient

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Master-key rotation (admin).",
        subcommands: [KeysStatus.self, KeysRotate.self, KeysRetire.self, KeysRotateSubject.self])
}

enum KeysPrinter {
    static func print(_ keys: KeysBody, json: Bool) throws {
        if json {
            try Output.json(keys)
            return
        }
        Output.table(
            ["VERSION", "STATE", "KEYS", "CREATED"],
            keys.versions.map {
                // The state says how a version serves: active, decrypt-only, retiring, retired.
                [String($0.version), $0.state, $0.keys.map(String.init) ?? "-", $0.created_at]
            })
        if let rewrap = keys.rewrap {
            Output.line()
            if rewrap.pending == 0 {
                Output.line("Rewrap complete: all \(rewrap.total) keys are under version \(keys.active_version).")
            } else {
                let rate = rewrap.rate_per_second.map { String(format: "%.0f keys/s", $0) } ?? "starting"
                let eta = rewrap.eta_seconds.map { String(format: ", about %.0f s left", $0) } ?? ""
                Output.line("Rewrapping: \(rewrap.total - rewrap.pending)/\(rewrap.total) done, \(rewrap.pending) pending, \(rate)\(eta).")
            }
        }
    }
}

struct KeysStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Key versions and rewrap progress.")
    @OptionGroup var connection: ConnectionOptions
    func run() async throws {
        try await reporting { try KeysPrinter.print(try await connection.client().send("GET", "v1/keys", as: KeysBody.self), json: connection.json) }
    }
}

struct KeysRotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate", abstract: "Create and activate the next master-key version; --wait follows the rewrap.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Wait until every key is re-wrapped, showing progress.") var wait = false
    func run() async throws {
        try await reporting {
            let client = try connection.client()
            var keys: KeysBody = try await client.send("POST", "v1/keys/rotate", as: KeysBody.self)
            if !connection.json { Output.line("Version \(keys.active_version) is active.") }
            var followed = false
            while wait, let rewrap = keys.rewrap, rewrap.pending > 0 {
                ProgressBar(total: rewrap.total, label: "keys re-wrapped").update(rewrap.total - rewrap.pending)
                followed = true
                try await Task.sleep(for: .seconds(1))
                keys = try await client.send("GET", "v1/keys", as: KeysBody.self)
            }
            // The bar ends full, on a line of its own, before the table.
            if followed, let rewrap = keys.rewrap { ProgressBar(total: rewrap.total, label: "keys re-wrapped").update(rewrap.total) }
            try KeysPrinter.print(keys, json: connection.json)
        }
    }
}

struct KeysRetire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retire", abstract: "Retire a version nothing is wrapped under any more.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var version: Int
    func run() async throws {
        try await reporting {
            let keys: KeysBody = try await connection.client().send("POST", "v1/keys/\(version)/retire", as: KeysBody.self)
            if !connection.json { Output.line("Version \(version) retired.") }
            try KeysPrinter.print(keys, json: connection.json)
        }
    }
}

struct KeysRotateSubject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rotate-subject", abstract: "Rotate one subject's data key, re-encrypting its values.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var subjectID: String
    func run() async throws {
        try await reporting {
            let result: [String: Int] = try await connection.client().send("POST", "v1/subjects/\(subjectID)/rotate-key", as: [String: Int].self)
            if connection.json {
                try Output.json(result)
            } else {
                Output.line("Data key of \(subjectID) rotated: \(result["reencrypted_values"] ?? 0) values re-encrypted.")
            }
        }
    }
}

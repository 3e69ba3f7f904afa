import ArgumentParser
import Foundation
import Policy
import VaultAPI

struct PolicyApply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply", abstract: "Validate a local bundle, run its tests, and apply it to vaultd as a new version (admin).",
        discussion: "A bundle whose own tests (tests/*.yaml) fail is not applied unless --force; a forced apply is audited with the count.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Apply even though some of the bundle's tests fail (audited).") var force = false
    @Argument(help: "Bundle directory.") var directory = "policies"

    func run() async throws {
        try await reporting {
            let files = try CompiledPolicy.readFiles(directory: URL(fileURLWithPath: directory))
            // The bundle's own tests, with the evaluator that will serve views, before it goes live.
            let tests = URL(fileURLWithPath: directory).appendingPathComponent("tests")
            var failed = 0
            if FileManager.default.fileExists(atPath: tests.path) {
                let results = try PolicyTestSuite.run(directory: tests, policy: try LocalBundle.compile(directory, json: connection.json))
                failed = results.filter { !$0.passed }.count
                if failed > 0 && !force {
                    throw Failure.invalidInput(
                        "\(failed) of \(results.count) policy tests fail (vaultctl policy test \(directory) shows which); nothing was applied: fix them, or pass --force"
                    )
                }
                if failed > 0 { Output.note("Applying although \(failed) policy tests fail (--force); the apply is audited with the count.") }
            }
            let body = PolicyFilesBody(files: files, forcedPastFailingTests: failed > 0 ? failed : nil)
            let applied: PolicyAppliedBody = try await connection.client().send("PUT", "v1/policies", body: body)
            if connection.json {
                try Output.json(applied)
                return
            }
            guard applied.changed else {
                Output.line("No change: \(applied.version) (\(applied.digest)) stays in force.")
                return
            }
            Output.line("Applied \(applied.version) (\(applied.digest)).")
            PolicyDiffPrinter.print(applied.diff)
        }
    }
}

struct PolicyDiff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "Show how a local bundle differs from the one in force (admin).")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Bundle directory.") var directory = "policies"

    func run() async throws {
        try await reporting {
            let local = try CompiledPolicy.readFiles(directory: URL(fileURLWithPath: directory))
            let current: PolicyBody = try await connection.client().send("GET", "v1/policies", as: PolicyBody.self)
            let diff = LineDiff.diff(bundles: current.files, local)
            if connection.json {
                try Output.json(diff)
                return
            }
            if diff.isEmpty {
                Output.line("No differences from \(current.version).")
                return
            }
            Output.line("Differences from \(current.version) (- in force, + local):")
            PolicyDiffPrinter.print(diff)
        }
    }
}

enum PolicyDiffPrinter {
    static func print(_ diff: [String: [String]]) {
        for file in diff.keys.sorted() {
            Output.line("--- \(file)")
            for line in diff[file]! { Output.line("  \(line)") }
        }
    }
}

struct PolicyShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the bundle in force (admin).")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only this file, e.g. roles.yaml.") var file: String?

    func run() async throws {
        try await reporting {
            let current: PolicyBody = try await connection.client().send("GET", "v1/policies", as: PolicyBody.self)
            if connection.json {
                try Output.json(current)
                return
            }
            Output.line("Policy \(current.version) (\(current.digest)), applied \(current.applied_at ?? "?") by \(current.applied_by ?? "?")")
            for name in current.files.keys.sorted() where file == nil || file == name {
                Output.line()
                Output.line("# \(name)")
                Output.line(current.files[name]!)
            }
        }
    }
}

struct PolicyHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "List applied policy versions (admin).")
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let history: PolicyHistoryBody = try await connection.client().send("GET", "v1/policies/history", as: PolicyHistoryBody.self)
            if connection.json {
                try Output.json(history)
                return
            }
            Output.table(
                ["VERSION", "DIGEST", "APPLIED", "BY", "CHANGED FILES"],
                history.versions.map {
                    [$0.version, $0.digest, $0.applied_at, $0.applied_by, $0.diff.keys.sorted().joined(separator: ", ")]
                })
        }
    }
}

import ArgumentParser
import Foundation
import Policy

struct PolicyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Run the bundle's policy tests (tests/*.yaml) offline; exits 1 on a failure.")
    @Argument(help: "Bundle directory.") var directory = "policies"
    @Flag(help: "Print JSON.") var json = false

    struct Summary: Encodable {
        let passed: Int
        let failed: Int
        let results: [Entry]
    }
    struct Entry: Encodable {
        let file: String
        let name: String
        let passed: Bool
        let failures: [String]
    }

    func run() async throws {
        try await reporting {
            let policy = try LocalBundle.compile(directory, json: json)
            let results = try PolicyTestSuite.run(directory: URL(fileURLWithPath: directory).appendingPathComponent("tests"), policy: policy)
            guard !results.isEmpty else { throw Failure.invalidInput("no policy tests in \(directory)/tests") }
            let failed = results.filter { !$0.passed }.count
            if json {
                try Output.json(
                    Summary(
                        passed: results.count - failed, failed: failed,
                        results: results.map { Entry(file: $0.file, name: $0.name, passed: $0.passed, failures: $0.failures) }))
            } else {
                for result in results {
                    Output.line("\(result.passed ? "✔" : "✘") \(result.file): \(result.name)")
                    for failure in result.failures { Output.line("    \(failure)") }
                }
                Output.line("\(results.count - failed) passed, \(failed) failed")
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

import ArgumentParser
import Foundation
import Policy

struct PolicyValidate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Validate a local bundle offline; every problem is listed with file, line and rule.")
    @Argument(help: "Bundle directory.") var directory = "policies"
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await reporting {
            let policy = try LocalBundle.compile(directory, json: json)
            if json {
                try Output.json(["valid": "true", "digest": policy.version])
            } else {
                Output.line(
                    "Bundle valid: \(policy.version), \(policy.roles.count) roles, \(policy.catalog.fields.count) fields, \(policy.bundle.purposes.purposes.count) purposes."
                )
            }
        }
    }
}

/// Loading a bundle from disk, reporting validation problems the way people and scripts expect.
enum LocalBundle {
    struct Invalid: Encodable {
        let valid: Bool
        let issues: [PolicyIssue]
    }

    static func compile(_ directory: String, json: Bool) throws -> CompiledPolicy {
        do {
            return try CompiledPolicy.load(directory: URL(fileURLWithPath: directory))
        } catch let error as PolicyValidationError {
            if json {
                try Output.json(Invalid(valid: false, issues: error.issues))
            } else {
                for issue in error.issues { Output.line(issue.description) }
            }
            throw Failure.invalidInput("the bundle in \(directory) is invalid (\(error.issues.count) problem\(error.issues.count == 1 ? "" : "s"))")
        }
    }
}

import Foundation
import Policy

enum Fixtures {
    static let policies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("policies")

    static func files() throws -> [String: String] { try CompiledPolicy.readFiles(directory: policies) }

    /// The shipped bundle with roles.yaml replaced.
    static func compile(roles: String) throws -> CompiledPolicy {
        var files = try files()
        files["roles.yaml"] = roles
        return try CompiledPolicy.compile(files: files)
    }

    static func issues(roles: String) throws -> [PolicyIssue] {
        do {
            _ = try compile(roles: roles)
            return []
        } catch let error as PolicyValidationError {
            return error.issues
        }
    }
}

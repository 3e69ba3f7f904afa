/// A reason a policy bundle can't be applied: the file, the line and the rule it is about.
public struct PolicyIssue: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let rule: String?
    public let message: String

    public init(file: String, line: Int?, rule: String?, message: String) {
        self.file = file
        self.line = line
        self.rule = rule
        self.message = message
    }

    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? "")\(rule.map { " (\($0))" } ?? ""): \(message)"
    }
}

/// A bundle refused, with every problem found.
public struct PolicyValidationError: Error, Sendable, CustomStringConvertible {
    public let issues: [PolicyIssue]
    public init(issues: [PolicyIssue]) { self.issues = issues }
    public var description: String { issues.map(\.description).joined(separator: "; ") }
}

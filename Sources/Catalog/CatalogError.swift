import VaultModel

/// Why one value of a record was refused. Names the field, never the value.
public enum FieldIssueKind: String, Sendable, Codable, Equatable {
    case unknownField = "unknown-field"
    case wrongType = "wrong-type"
    case invalidValue = "invalid-value"
    case valueTooLong = "value-too-long"
    case emptyValue = "empty-value"
    case missingField = "missing-field"
}

/// A refused value: where it is (field) and why (kind); `reason` is a fixed phrase
/// such as "not an email address", safe to show because it never quotes the input.
public struct FieldIssue: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nil when the field's name was the client's own and is not repeated (`SubmittedName`).
    public let field: String?
    public let kind: FieldIssueKind
    public let reason: String

    public init(field: String?, kind: FieldIssueKind, reason: String) {
        self.field = field
        self.kind = kind
        self.reason = reason
    }

    public var description: String { "\(field ?? "(a field)"): \(kind.rawValue) (\(reason))" }
}

/// Failures to load the policy bundle's catalog files.
public enum CatalogError: Error, Sendable, CustomStringConvertible {
    case unreadable(file: String)
    case invalid(file: String, detail: String)

    /// The file the error is about.
    public var file: String {
        switch self {
        case .unreadable(let file), .invalid(let file, _): file
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let file): "cannot read \(file)"
        case .invalid(let file, let detail): "\(file): \(detail)"
        }
    }
}

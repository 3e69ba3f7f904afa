import Catalog

/// One refused item of a batch: its index, the field (if any) and the problem slug.
public struct BatchIssue: Sendable, Equatable, Codable {
    public let index: Int
    public let field: String?
    public let type: String
    public let reason: String

    public init(index: Int, field: String?, type: String, reason: String) {
        self.index = index
        self.field = field
        self.type = type
        self.reason = reason
    }

    init(index: Int, _ issue: FieldIssue) {
        self.init(index: index, field: issue.field, type: issue.kind.rawValue, reason: issue.reason)
    }
}

/// Why a batch was refused as a whole. Nothing of a refused batch is stored.
public enum IngestError: Error, Sendable, CustomStringConvertible {
    case invalidBatch([BatchIssue])
    case batchTooLarge(count: Int, limit: Int)
    case emptyBatch
    case unknownSource(String)
    /// Concurrent writers kept invalidating the plan; the client may retry.
    case contention

    public var description: String {
        switch self {
        case .invalidBatch(let issues): "\(issues.count) invalid item(s) in the batch"
        case .batchTooLarge(let count, let limit): "batch of \(count) items exceeds the limit of \(limit)"
        case .emptyBatch: "the batch is empty"
        case .unknownSource(let name): "source \(name) is not in the policy bundle"
        case .contention:
            "the batch could not be applied, and nothing of it was stored: concurrent writes kept changing its subjects (retry), or a record matches on an identifier an earlier record of the batch replaces (send those in separate batches)"
        }
    }
}

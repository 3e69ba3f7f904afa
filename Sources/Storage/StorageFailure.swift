/// What a database error means for a caller, without its message (SQLite messages can quote
/// the value of a failed constraint).
public enum StorageFailure: Sendable, Equatable {
    /// The disk is full, read-only, failing or locked: nothing was written; retry later.
    case unavailable
    /// The file is damaged: an operator must restore it.
    case corrupt

    public init?(_ error: any Error) {
        guard let reporting = error as? any StorageFailureReporting, let failure = reporting.storageFailure else { return nil }
        self = failure
    }
}

/// A backend's error that says itself what it means for a caller (each backend target
/// conforms its driver's errors).
public protocol StorageFailureReporting: Error {
    var storageFailure: StorageFailure? { get }
}

import Foundation
import VaultModel

/// What happened to one ingested record.
public enum IngestOutcomeKind: String, Sendable, Codable {
    /// No existing subject matched: a new one was created.
    case created
    /// Exactly one existing subject matched.
    case linked
    /// The record bridged two or more subjects, which were merged into one.
    case merged
    /// The person was erased and is suppressed; nothing was stored.
    case suppressed
}

public struct IngestOutcome: Sendable, Equatable {
    /// The subject the record belongs to; `SubjectID.none` when `kind` is `suppressed`.
    public let subjectID: SubjectID
    public let kind: IngestOutcomeKind
    public init(subjectID: SubjectID, kind: IngestOutcomeKind) {
        self.subjectID = subjectID
        self.kind = kind
    }
    public static let suppressed = IngestOutcome(subjectID: .none, kind: .suppressed)
}

extension SubjectID {
    /// The nil UUID: "no subject", for outcomes that stored nothing.
    public static let none = SubjectID(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
}

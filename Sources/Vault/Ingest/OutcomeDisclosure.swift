import Identity
import Storage
import VaultModel

/// What a source is told about each record it sent.
///
/// A source holds its own records, not the vault's view of the person: `linked` would tell it
/// that someone else already holds the person (and under which subject), and `created` that
/// nobody does. Unless the source is configured with `reveal_outcome: true` (sources.yaml), or
/// the vault runs the demo, the answer is `accepted` without a subject id. `suppressed` is
/// always said: the source was told of the erasure already (the outbox notice), and must
/// know its record was not stored.
public enum OutcomeDisclosure {
    public static let accepted = "accepted"

    /// The outcome and subject id a source sees for `outcome`.
    public static func disclose(_ outcome: IngestOutcome, revealing: Bool) -> (outcome: String, subjectID: SubjectID?) {
        switch outcome.kind {
        case .suppressed: (outcome.kind.rawValue, nil)
        case .created, .linked, .merged: revealing ? (outcome.kind.rawValue, outcome.subjectID) : (accepted, nil)
        }
    }
}

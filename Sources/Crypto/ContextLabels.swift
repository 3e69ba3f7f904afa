/// Every label the vault mixes into a cryptographic operation, in one place, with what it
/// binds. A label never changes once data has been written under it: a new format gets a new
/// label (`-v2`), so old ciphertexts still open and can never be mistaken for new ones.
///
/// AEAD contexts are the associated data of an AES-GCM seal: the parts listed are framed
/// after the label (`SealContext.frame`: each length-prefixed), so a ciphertext copied to
/// another row, person, field or source fails to open instead of showing the wrong value.
public enum CiphertextContext: String, Sendable, CaseIterable {
    /// A field value: key owner, field, source.
    case field = "pv-field-v1"
    /// A source record's own key: key owner, source.
    case recordKey = "pv-record-key-v1"
    /// An interaction event: key owner, source, event type.
    case event = "pv-event-v1"
    /// The sealed totals of one record's events under one key owner (`EventTotals`): key owner,
    /// the store's record number (a copy moved to another record or owner fails to open).
    case eventTotals = "pv-event-totals-v1"
    /// A timeline cursor's position (time, row), under the subject's data key: the subject id
    /// it was issued for.
    case timelineCursor = "pv-timeline-cursor-v1"
    /// A consent decision and its event time: key owner, purpose, time (ms).
    case consent = "pv-consent-v1"
    /// A request's rectified values, under the subject's data key: subject.
    case requestDetails = "pv-request-details-v1"
    /// A request's free text (reasons, verification), under the hold key: request, column.
    case requestText = "pv-request-text-v1"
    /// A source's record key kept for an outbox notice, under the outbox key: source.
    case outbox = "pv-outbox-v1"
    /// A value kept under a legal hold past an erasure, under the hold key: subject, field.
    case legalHold = "pv-legal-hold-v1"
    /// A console session's content: the HMAC of its id (appended raw, not framed).
    case consoleSession = "pv-console-session-v1"
    /// A subject's data key wrapped under a master-key version: subject and version
    /// (`KeyWrap`; the caller's context is appended raw).
    case dekWrap = "pv-dek-wrap-v1"

    public var bytes: [UInt8] { Array(rawValue.utf8) }
}

/// HKDF labels: each key the vault derives, from which root, for what. One root never
/// serves two purposes under the same label.
public enum DerivedKeyLabel: String, Sendable, CaseIterable {
    /// From a master-key version: the key that wraps data keys (the raw KEK never encrypts data).
    case dekWrap = "profilevault/dek-wrap/v1"
    /// From a master-key version: the key of its check value (identifies it without revealing it).
    case keyCheck = "profilevault/key-check/v1"
    /// From the index root: blind indexes of identifiers and lookup keys.
    case blindIndex = "profilevault/blind-index/v1"
    /// From the index root: the stored hashes of bearer tokens.
    case tokenHash = "profilevault/token-hash/v1"
    /// From the index root: authentication tags of the rows that decide who may see what.
    case rowAuth = "profilevault/row-auth/v1"
    /// From the index root: pseudonyms in exports and audit details.
    case pseudonym = "profilevault/pseudonym/v1"
    /// From the index root: the stored hashes of console session ids.
    case consoleSessionID = "profilevault/console-session-id/v1"
    /// From the index root: the key that seals console sessions.
    case consoleSession = "profilevault/console-session/v1"
    /// From the index root: the audit hash chain's HMAC.
    case auditChain = "profilevault/audit-chain/v1"
}

extension HKDF {
    /// The key derived from `root` for one catalogued purpose.
    public static func deriveKey(from root: SymmetricKey, _ label: DerivedKeyLabel) throws -> SymmetricKey {
        try deriveKey(from: root, label: label.rawValue)
    }
}

import Foundation
import Identity
import VaultModel

/// A data key as stored: ciphertext under one KEK version.
public struct WrappedKey: Sendable, Equatable {
    public let kekVersion: Int
    public let bytes: [UInt8]
    public init(kekVersion: Int, bytes: [UInt8]) {
        self.kekVersion = kekVersion
        self.bytes = bytes
    }
}

/// A subject minted by the ingest pipeline for a record that matched nobody at planning time.
public struct NewSubject: Sendable {
    public let id: SubjectID
    public let wrappedKey: WrappedKey
    public init(id: SubjectID, wrappedKey: WrappedKey) {
        self.id = id
        self.wrappedKey = wrappedKey
    }
}

/// One identifier of a record, as a blind index.
public struct IdentifierIndex: Sendable, Hashable {
    public let field: FieldName
    public let index: BlindIndex
    public init(field: FieldName, index: BlindIndex) {
        self.field = field
        self.index = index
    }
}

/// A field value sealed under its key owner's data key.
public struct SealedFieldValue: Sendable {
    public let field: FieldName
    public let ciphertext: [UInt8]
    public init(field: FieldName, ciphertext: [UInt8]) {
        self.field = field
        self.ciphertext = ciphertext
    }
}

/// A source record ready to store: everything personal is ciphertext or a blind index.
///
/// `keyOwner` is the subject whose data key sealed the values. It usually is the subject the
/// record resolves to; after a merge it may be the merged-away subject, whose key is kept
/// (wrapped) so values never need re-encryption inside the commit transaction.
public struct SealedRecord: Sendable {
    public let keyIndex: BlindIndex
    public let keyCiphertext: [UInt8]
    public let observedAt: Date
    public let keyOwner: SubjectID
    public let newSubject: NewSubject?
    public let identifiers: [IdentifierIndex]
    public let fields: [SealedFieldValue]
    /// A subject the record must belong to whatever its identifiers (rectification values).
    public let attachedTo: SubjectID?
    /// The key owner's wrapped data key the values were sealed under, as read when planning.
    /// The store refuses the write if the owner's key has changed since (a subject key
    /// rotation committed in between): the values would not open under the new key.
    public let sealedUnder: [UInt8]

    public init(
        keyIndex: BlindIndex, keyCiphertext: [UInt8], observedAt: Date, keyOwner: SubjectID, sealedUnder: [UInt8],
        newSubject: NewSubject?, identifiers: [IdentifierIndex], fields: [SealedFieldValue], attachedTo: SubjectID? = nil
    ) {
        self.attachedTo = attachedTo
        self.sealedUnder = sealedUnder
        self.keyIndex = keyIndex
        self.keyCiphertext = keyCiphertext
        self.observedAt = observedAt
        self.keyOwner = keyOwner
        self.newSubject = newSubject
        self.identifiers = identifiers
        self.fields = fields
    }
}

extension MatchDecision {
    /// The plan a store applies: nil for a suppressed record (nothing is stored), and a stale
    /// plan throws `StoreError.staleResolution` (the pipeline plans again).
    public func planToApply() throws -> MergePlan? {
        switch self {
        case .suppressed: return nil
        case .stale: throw StoreError.staleResolution
        case .resolved(let plan): return plan
        }
    }
}

extension SealedRecord {
    /// The record as `SubjectMatcher` sees it.
    public var matchRecord: MatchRecord {
        MatchRecord(owner: keyOwner, minted: newSubject != nil, observedAt: observedAt.unixMillis, fields: fields.map(\.field))
    }
}

/// An interaction event ready to store.
public struct SealedEvent: Sendable {
    public let eventIndex: BlindIndex
    public let recordKeyIndex: BlindIndex
    public let keyOwner: SubjectID
    public let type: String
    public let occurredAt: Date
    public let ciphertext: [UInt8]
    /// The key owner's wrapped data key the values were sealed under, as read when planning.
    /// The store refuses the write if the owner's key has changed since (a subject key
    /// rotation committed in between): the values would not open under the new key.
    public let sealedUnder: [UInt8]
    public init(
        eventIndex: BlindIndex, recordKeyIndex: BlindIndex, keyOwner: SubjectID, sealedUnder: [UInt8], type: String, occurredAt: Date,
        ciphertext: [UInt8]
    ) {
        self.eventIndex = eventIndex
        self.sealedUnder = sealedUnder
        self.recordKeyIndex = recordKeyIndex
        self.keyOwner = keyOwner
        self.type = type
        self.occurredAt = occurredAt
        self.ciphertext = ciphertext
    }
}

public enum EventOutcomeKind: String, Sendable, Codable {
    case created
    /// The same event id from the same source was stored before: nothing changed.
    case duplicate
}

/// What the planner needs to seal a batch: current subjects of source keys and identifiers,
/// and the wrapped data keys of those subjects.
public struct ResolutionSnapshot: Sendable {
    public var subjectBySourceKey: [[UInt8]: SubjectID] = [:]
    public var subjectsByIdentifier: [[UInt8]: [SubjectID]] = [:]
    public var wrappedKeys: [SubjectID: WrappedKey] = [:]
    public init() {}
}

/// A stored field value with its provenance.
public struct StoredFieldValue: Sendable {
    public let field: FieldName
    public let source: SourceName
    public let keyOwner: SubjectID
    public let observedAt: Date
    public let ciphertext: [UInt8]

    public init(field: FieldName, source: SourceName, keyOwner: SubjectID, observedAt: Date, ciphertext: [UInt8]) {
        self.field = field
        self.source = source
        self.keyOwner = keyOwner
        self.observedAt = observedAt
        self.ciphertext = ciphertext
    }
}

/// A stored event.
public struct StoredEvent: Sendable {
    public let source: SourceName
    public let keyOwner: SubjectID
    public let type: String
    public let occurredAt: Date
    public let ciphertext: [UInt8]

    public init(source: SourceName, keyOwner: SubjectID, type: String, occurredAt: Date, ciphertext: [UInt8]) {
        self.source = source
        self.keyOwner = keyOwner
        self.type = type
        self.occurredAt = occurredAt
        self.ciphertext = ciphertext
    }
}

/// A consent event ready to store: the decision in the clear (it drives every view), the
/// channel, notice version and evidence sealed under the key owner's data key.
public struct SealedConsent: Sendable {
    public let subjectID: SubjectID
    public let keyOwner: SubjectID
    public let purpose: String
    public let status: String
    public let lawfulBasis: String
    public let jurisdiction: String?
    public let occurredAt: Date
    public let expiresAt: Date?
    public let recordedAt: Date
    public let recordedBy: String
    public let ciphertext: [UInt8]
    /// The key owner's wrapped data key the values were sealed under, as read when planning.
    /// The store refuses the write if the owner's key has changed since (a subject key
    /// rotation committed in between): the values would not open under the new key.
    public let sealedUnder: [UInt8]
    public init(
        subjectID: SubjectID, keyOwner: SubjectID, sealedUnder: [UInt8], purpose: String, status: String, lawfulBasis: String,
        jurisdiction: String?, occurredAt: Date, expiresAt: Date?, recordedAt: Date, recordedBy: String, ciphertext: [UInt8]
    ) {
        self.subjectID = subjectID
        self.sealedUnder = sealedUnder
        self.keyOwner = keyOwner
        self.purpose = purpose
        self.status = status
        self.lawfulBasis = lawfulBasis
        self.jurisdiction = jurisdiction
        self.occurredAt = occurredAt
        self.expiresAt = expiresAt
        self.recordedAt = recordedAt
        self.recordedBy = recordedBy
        self.ciphertext = ciphertext
    }
}

/// A stored consent event, in ledger order (`sequence`).
public struct StoredConsent: Sendable {
    public let sequence: Int64
    public let keyOwner: SubjectID
    public let purpose: String
    public let status: String
    public let lawfulBasis: String
    public let jurisdiction: String?
    public let occurredAt: Date
    public let expiresAt: Date?
    public let recordedAt: Date
    public let recordedBy: String
    public let ciphertext: [UInt8]

    public init(
        sequence: Int64, keyOwner: SubjectID, purpose: String, status: String, lawfulBasis: String, jurisdiction: String?, occurredAt: Date, expiresAt: Date?,
        recordedAt: Date, recordedBy: String, ciphertext: [UInt8]
    ) {
        self.sequence = sequence
        self.keyOwner = keyOwner
        self.purpose = purpose
        self.status = status
        self.lawfulBasis = lawfulBasis
        self.jurisdiction = jurisdiction
        self.occurredAt = occurredAt
        self.expiresAt = expiresAt
        self.recordedAt = recordedAt
        self.recordedBy = recordedBy
        self.ciphertext = ciphertext
    }
}

/// Everything stored about one subject, still sealed.
public struct SealedProfile: Sendable {
    public let subjectID: SubjectID
    public let createdAt: Date
    public let restricted: Bool
    /// Wrapped data keys of every key owner that sealed a value of this profile.
    public let keys: [SubjectID: WrappedKey]
    public let fields: [StoredFieldValue]
    /// The events `eventsRead` asked for, newest first.
    public let events: [StoredEvent]
    public let eventsRead: ProfileEvents
    /// Every event group's totals (`EventTotalsGroup`).
    public let totals: [StoredEventTotals]
    public let consents: [StoredConsent]
    public let sources: [SourceName]

    public init(
        subjectID: SubjectID, createdAt: Date, restricted: Bool, keys: [SubjectID: WrappedKey], fields: [StoredFieldValue], events: [StoredEvent],
        eventsRead: ProfileEvents, totals: [StoredEventTotals], consents: [StoredConsent], sources: [SourceName]
    ) {
        self.eventsRead = eventsRead
        self.totals = totals
        self.subjectID = subjectID
        self.createdAt = createdAt
        self.restricted = restricted
        self.keys = keys
        self.fields = fields
        self.events = events
        self.consents = consents
        self.sources = sources
    }
}

/// Dual control's state of a token (`TokenService.approve`), stored as its raw value.
public enum TokenApproval: Int, Sendable {
    /// Created without dual control, or for a role shown no personal value.
    case notRequired = 0
    case awaiting = 1
    case approved = 2
}

/// A principal's bearer token, as stored: only its keyed hash.
public struct TokenRecord: Sendable, Equatable {
    public let id: UUID
    public let principal: String
    public let role: String?
    public let source: String?
    public let hash: [UInt8]
    public let createdAt: Date
    public let revokedAt: Date?
    /// The row's authentication tag (`RowAuthenticator`); nil on a row written before tags.
    public var mac: [UInt8]?
    /// Under dual control: whether the grant needed, awaits or got a second principal's approval.
    public var approval: TokenApproval
    public var awaitingApproval: Bool { approval == .awaiting }
    /// Who created the token (the approver must be someone else).
    public var createdBy: String?
    public init(
        id: UUID, principal: String, role: String?, source: String?, hash: [UInt8], createdAt: Date, revokedAt: Date?, mac: [UInt8]? = nil,
        approval: TokenApproval = .notRequired, createdBy: String? = nil
    ) {
        self.mac = mac
        self.approval = approval
        self.createdBy = createdBy
        self.id = id
        self.principal = principal
        self.role = role
        self.source = source
        self.hash = hash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// An applied policy bundle: its number (`v3`), content digest, who applied it, its files
/// and the diff against the previous version.
public struct PolicyVersionRecord: Sendable, Equatable {
    public let version: Int
    public let digest: String
    public let appliedAt: Date
    public let appliedBy: String
    public let files: [String: String]
    public let diff: [String: [String]]
    /// The row's authentication tag (`RowAuthenticator`); nil on a row written before tags.
    public var mac: [UInt8]?
    public init(version: Int, digest: String, appliedAt: Date, appliedBy: String, files: [String: String], diff: [String: [String]], mac: [UInt8]? = nil) {
        self.mac = mac
        self.version = version
        self.digest = digest
        self.appliedAt = appliedAt
        self.appliedBy = appliedBy
        self.files = files
        self.diff = diff
    }
}

/// A master key version known to the database, identified by its key check value.
public struct KeyVersionRecord: Sendable, Equatable {
    public let version: Int
    public let checkValue: [UInt8]
    public let createdAt: Date
    public let state: String
    public init(version: Int, checkValue: [UInt8], createdAt: Date, state: String) {
        self.version = version
        self.checkValue = checkValue
        self.createdAt = createdAt
        self.state = state
    }
}

/// A sealed value of a subject with where it lives, for re-encryption under a new data key.
public struct SealedRow: Sendable {
    public let table: String
    public let rowID: Int64
    /// For field values, the field name (the primary key is record_id + field).
    public let field: String?
    public let column: String
    public let keyOwner: SubjectID
    public let ciphertext: [UInt8]
    /// What the AAD is built from: source for fields/keys/events, purpose+time for consents.
    public let source: String?
    public let type: String?
    public let purpose: String?
    public let occurredAt: Date?

    public init(
        table: String, rowID: Int64, field: String?, column: String, keyOwner: SubjectID, ciphertext: [UInt8], source: String?, type: String?, purpose: String?,
        occurredAt: Date?
    ) {
        self.table = table
        self.rowID = rowID
        self.field = field
        self.column = column
        self.keyOwner = keyOwner
        self.ciphertext = ciphertext
        self.source = source
        self.type = type
        self.purpose = purpose
        self.occurredAt = occurredAt
    }
}

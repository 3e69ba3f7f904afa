import Foundation
import Identity
import Requests
import VaultModel

/// A data-subject request as stored. Personal details (rectified values) are sealed.
public struct RequestRecord: Sendable, Equatable {
    public var id: UUID
    public var kind: RequestKind
    public var regulation: Regulation
    public var subjectID: SubjectID?
    public var status: RequestStatus
    public var receivedAt: Date
    public var dueAt: Date
    public var extendedDueAt: Date?
    public var extensionReason: String?
    public var duplicateOf: UUID?
    public var verificationMethod: String?
    public var verifiedAt: Date?
    public var startedAt: Date?
    public var completedAt: Date?
    public var rejectedReason: String?
    /// Purposes objected to (objection requests).
    public var purposes: [String]
    /// Rectified values, sealed under the subject's data key.
    public var sealedDetails: [UInt8]?
    /// The signed receipt (JSON), once completed.
    public var receipt: String?
    public var createdAt: Date
    public var createdBy: String
    /// The row's authentication tag (`RowAuthenticator`): status, dates and receipt; not the
    /// free text or rectified values, which are sealed and cleared by an erasure.
    public var mac: [UInt8]?

    public init(
        id: UUID, kind: RequestKind, regulation: Regulation, subjectID: SubjectID?, status: RequestStatus, receivedAt: Date, dueAt: Date,
        purposes: [String] = [], sealedDetails: [UInt8]? = nil, createdAt: Date, createdBy: String
    ) {
        self.id = id
        self.kind = kind
        self.regulation = regulation
        self.subjectID = subjectID
        self.status = status
        self.receivedAt = receivedAt
        self.dueAt = dueAt
        self.purposes = purposes
        self.sealedDetails = sealedDetails
        self.createdAt = createdAt
        self.createdBy = createdBy
    }

    /// The deadline in force: the extended one if there is one.
    public var effectiveDue: Date { extendedDueAt ?? dueAt }
}

extension RequestRecord {
    /// The record after `step`, or nil when the lifecycle does not allow it from its status.
    /// Every status change goes through here (`RequestLifecycle.next`).
    public func moved(by step: RequestLifecycle.Step) -> RequestRecord? {
        guard let next = RequestLifecycle.next(from: status, by: step, kind: kind) else { return nil }
        var moved = self
        moved.status = next
        return moved
    }
}

/// A stored enum column read back: a value the type does not know is damage, not a crash.
public func storedEnum<T: RawRepresentable>(_ raw: String, _ column: String) throws -> T where T.RawValue == String {
    guard let value = T(rawValue: raw) else { throw StoreError.corrupt(column) }
    return value
}

public struct RequestFilter: Sendable {
    public var status: RequestStatus?
    public var kind: RequestKind?
    public var overdueAt: Date?
    public var subjectID: SubjectID?
    /// Only requests not completed or rejected.
    public var openOnly = false
    public init() {}
}

/// A notice to a source (erasure, rectification or restriction of a person it holds).
public struct OutboxNotice: Sendable, Equatable {
    public let id: UUID
    public let source: SourceName
    public let requestID: UUID
    public let kind: NoticeKind
    public let subjectID: SubjectID
    /// The source's own record key, sealed under the vault's outbox key; cleared on acknowledgement.
    public let sealedKey: [UInt8]?
    public let createdAt: Date
    public let ackedAt: Date?
    public init(id: UUID, source: SourceName, requestID: UUID, kind: NoticeKind, subjectID: SubjectID, sealedKey: [UInt8]?, createdAt: Date, ackedAt: Date?) {
        self.id = id
        self.source = source
        self.requestID = requestID
        self.kind = kind
        self.subjectID = subjectID
        self.sealedKey = sealedKey
        self.createdAt = createdAt
        self.ackedAt = ackedAt
    }
}

/// A value kept under a legal hold after erasure, sealed under the hold key.
public struct HeldValue: Sendable, Equatable {
    public let field: FieldName
    public let category: String
    public let basis: String
    public let until: Date
    public let ciphertext: [UInt8]
    /// Its tag (`HeldValueRow`): the vault writes it with the erasure and checks it before an
    /// export shows the value or the retention sweep decides the hold has ended.
    public var mac: [UInt8]?
    public init(field: FieldName, category: String, basis: String, until: Date, ciphertext: [UInt8], mac: [UInt8]? = nil) {
        self.field = field
        self.category = category
        self.basis = basis
        self.until = until
        self.ciphertext = ciphertext
        self.mac = mac
    }

    /// What its tag covers, with the subject it is held for.
    public func row(of subject: SubjectID) -> HeldValueRow {
        HeldValueRow(subject: subject, field: field.rawValue, category: category, basis: basis, untilMillis: until.unixMillis)
    }
}

/// A value kept past an erasure under a legal hold: a database writer moving its end would keep
/// it longer than the law allows (or sweep it early), and changing its category or basis would
/// misstate why it is kept. (The value itself is sealed under the hold key, bound to subject and
/// field.)
public struct HeldValueRow: TaggedRow, Equatable {
    public let subject: SubjectID
    public let field: String
    public let category: String
    public let basis: String
    public let untilMillis: Int64

    public init(subject: SubjectID, field: String, category: String, basis: String, untilMillis: Int64) {
        self.subject = subject
        self.field = field
        self.category = category
        self.basis = basis
        self.untilMillis = untilMillis
    }

    public static let tagDomain = "held-value/v1"
    public var tagFields: [String?] { [subject.description, field, category, basis, String(untilMillis)] }
}

/// A held value the retention sweep deletes: its hold has ended (checked by the vault). The
/// checked end goes with it: a value an erasure held again between the check and the sweep has
/// a later end and is not deleted.
public struct HeldValueKey: Sendable, Hashable {
    public let subject: SubjectID
    public let field: FieldName
    public let until: Date
    public init(subject: SubjectID, field: FieldName, until: Date) {
        self.subject = subject
        self.field = field
        self.until = until
    }
}

/// A source record of a subject, as erasure needs it (to notify the source).
public struct SubjectRecordRef: Sendable {
    public let source: SourceName
    public let keyIndex: BlindIndex
    public let keyOwner: SubjectID
    public let keyCiphertext: [UInt8]

    public init(source: SourceName, keyIndex: BlindIndex, keyOwner: SubjectID, keyCiphertext: [UInt8]) {
        self.source = source
        self.keyIndex = keyIndex
        self.keyOwner = keyOwner
        self.keyCiphertext = keyCiphertext
    }
}

/// Everything one erasure changes, applied in one transaction.
public struct ErasurePlan: Sendable {
    public let subjectID: SubjectID
    /// Every subject whose data key sealed something of this person (merged-away ones too).
    public let keyOwners: [SubjectID]
    /// Blind indexes of the person's identifiers and source keys.
    public let suppressions: [BlindIndex]
    public let notices: [OutboxNotice]
    public let held: [HeldValue]
    public let requestID: UUID
    public let receipt: String
    public let completedAt: Date
    /// The status the request moves to (`RequestRecord.moved(by: .complete)`).
    public var requestStatus: RequestStatus = .completed
    /// The tag of the erasure request once completed (`RowAuthenticator`), and the subject it
    /// names then (the replay of a ledger entry may name the subject a merge made canonical).
    public var requestTag: [UInt8]?
    public var requestSubject: SubjectID?
    public init(
        subjectID: SubjectID, keyOwners: [SubjectID], suppressions: [BlindIndex], notices: [OutboxNotice], held: [HeldValue],
        requestID: UUID, receipt: String, completedAt: Date
    ) {
        self.subjectID = subjectID
        self.keyOwners = keyOwners
        self.suppressions = suppressions
        self.notices = notices
        self.held = held
        self.requestID = requestID
        self.receipt = receipt
        self.completedAt = completedAt
    }

    /// Whether the plan still holds all the store now has of the person (`erasureFacts`):
    /// every key owner, every identifier and every source key. Checked inside the erasure's
    /// transaction, since the plan was made from an earlier read.
    public func covers(_ facts: (records: [SubjectRecordRef], identifiers: [BlindIndex], keyOwners: [SubjectID])) -> Bool {
        let suppressed = Set(suppressions.map(\.bytes))
        return Set(facts.keyOwners).isSubset(of: Set(keyOwners))
            && facts.identifiers.allSatisfy { suppressed.contains($0.bytes) }
            && facts.records.allSatisfy { suppressed.contains($0.keyIndex.bytes) }
    }
}

/// Storage of requests, suppressions, the outbox and legal holds.
public protocol RequestStore: Sendable {
    func insertRequest(_ request: RequestRecord, audit: AuditWrite) async throws
    func request(id: UUID) async throws -> RequestRecord?
    func requests(_ filter: RequestFilter) async throws -> [RequestRecord]
    /// Replaces the request if its status is still `expectedStatus`; false when it changed meanwhile.
    func updateRequest(_ request: RequestRecord, expectedStatus: RequestStatus, audit: AuditWrite) async throws -> Bool
    /// Source records, identifier indexes and key owners of a subject.
    func erasureFacts(of subject: SubjectID) async throws -> (records: [SubjectRecordRef], identifiers: [BlindIndex], keyOwners: [SubjectID])
    func erase(_ plan: ErasurePlan, audit: AuditWrite) async throws
    /// Removes deleted pages from the WAL and zeroes them in the main file.
    func checkpoint() async throws
    func setRestricted(_ subject: SubjectID, _ restricted: Bool) async throws
    func heldValues(of subject: SubjectID) async throws -> [HeldValue]
    /// Every held value, with the subject it is held for (the retention sweep checks each).
    func allHeldValues() async throws -> [(subject: SubjectID, value: HeldValue)]
    func outbox(source: SourceName, includeAcknowledged: Bool) async throws -> [OutboxNotice]
    func outbox(request: UUID) async throws -> [OutboxNotice]
    func insertNotices(_ notices: [OutboxNotice]) async throws
    func acknowledge(notice: UUID, source: SourceName, at: Date, audit: AuditWrite) async throws -> Bool
    func subjectExists(_ subject: SubjectID) async throws -> Bool
    /// Inserts the suppression entries of `requestID` the store doesn't hold (a row deleted in
    /// the database, or a restore from before the erasure); returns how many were missing.
    func restoreSuppressions(_ indexes: [[UInt8]], requestID: UUID, at time: Date) async throws -> Int
    /// Suppression entries and unacknowledged notices, for the compliance console's overview.
    func complianceFigures() async throws -> ComplianceFigures
}

import Audit
import Catalog
import Consent
import Foundation
import Identity
import Requests
import Storage
import VaultCrypto
import VaultModel

/// Data-subject requests from intake to proof: open, verify, extend, reject, execute, and the
/// export and receipt they produce. Every step is audited in the transaction that makes it.
public struct RequestService: Sendable {
    let store: any VaultStore
    let keys: VaultKeys
    let policies: PolicyState
    let reader: ProfileReader
    let lookup: LookupService
    let consents: ConsentService
    let ingest: IngestPipeline
    let audit: AuditLog
    let ledger: ErasureLedger
    /// Named points where tests make vaultd crash (`PROFILEVAULT_FAULT_INJECTION`); a no-op otherwise.
    let faultPoint: @Sendable (String) -> Void

    init(
        store: any VaultStore, keys: VaultKeys, policies: PolicyState, reader: ProfileReader, lookup: LookupService, consents: ConsentService,
        ingest: IngestPipeline, audit: AuditLog, ledger: ErasureLedger, faultPoint: @escaping @Sendable (String) -> Void
    ) {
        self.store = store
        self.keys = keys
        self.policies = policies
        self.reader = reader
        self.lookup = lookup
        self.consents = consents
        self.ingest = ingest
        self.audit = audit
        self.ledger = ledger
        self.faultPoint = faultPoint
    }

    func write(_ caller: Caller, _ action: String, _ request: RequestRecord, detail: String? = nil, at: Date = Date()) -> AuditWrite {
        AuditWrite(
            draft: caller.draft(
                action, subjects: request.subjectID.map { [$0.description] } ?? [],
                detail: "request \(request.id.uuidString.lowercased()) \(request.kind)" + (detail.map { ": \($0)" } ?? ""), at: at),
            chain: keys.auditChain)
    }

    // MARK: Intake

    public struct OpenInput: Sendable {
        public var kind: RequestKind
        public var regulation: Regulation
        public var subjectID: SubjectID?
        public var identifiers: [String: JSONValue]?
        public var receivedAt: Date?
        public var purposes: [Purpose]
        public var corrections: [String: JSONValue]
        public init(
            kind: RequestKind, regulation: Regulation, subjectID: SubjectID?, identifiers: [String: JSONValue]?, receivedAt: Date?,
            purposes: [Purpose] = [], corrections: [String: JSONValue] = [:]
        ) {
            self.kind = kind
            self.regulation = regulation
            self.subjectID = subjectID
            self.identifiers = identifiers
            self.receivedAt = receivedAt
            self.purposes = purposes
            self.corrections = corrections
        }
    }

    public func open(_ input: OpenInput, caller: Caller, now: Date = Date()) async throws -> RequestRecord {
        var subject: SubjectID?
        if let id = input.subjectID {
            guard let canonical = try await store.canonicalSubject(of: id) else { throw RequestError.unknownSubject }
            subject = canonical
        } else if let identifiers = input.identifiers {
            let found = try await lookup.lookup(identifiers, caller: caller)
            guard found.count <= 1 else { throw RequestError.ambiguousIdentifiers(count: found.count) }
            subject = found.first  // none: the vault holds nothing about this person; the request still runs
        }
        var issues: [BatchIssue] = []
        let received = input.receivedAt ?? now
        if received > now.addingTimeInterval(300) { issues.append(BatchIssue(index: 0, field: "received_at", type: "invalid-value", reason: "in the future")) }
        if input.kind == .objection && input.purposes.isEmpty {
            issues.append(BatchIssue(index: 0, field: "purposes", type: "missing-field", reason: "an objection names the purposes objected to"))
        }
        for purpose in input.purposes where !policies.current.bundle.purposes.contains(purpose) {
            issues.append(BatchIssue(index: 0, field: "purposes", type: "unknown-purpose", reason: "not a purpose of purposes.yaml"))
        }
        var sealed: [UInt8]?
        if input.kind == .rectification {
            if input.corrections.isEmpty {
                issues.append(BatchIssue(index: 0, field: "fields", type: "missing-field", reason: "a rectification names corrected fields"))
            }
            var normalized: [String: String] = [:]
            for (name, value) in input.corrections {
                do throws(FieldIssue) { normalized[name] = try policies.current.catalog.normalize(field: name, value: value).unsafeValue } catch {
                    issues.append(BatchIssue(index: 0, error))
                }
            }
            if subject == nil {
                issues.append(BatchIssue(index: 0, field: "subject_id", type: "missing-field", reason: "a rectification needs a known subject"))
            }
            if issues.isEmpty, let subject, let wrapped = try await store.wrappedKey(of: subject) {
                let key = try keys.unwrapDataKey(wrapped, of: subject)
                sealed = try Envelope.seal(Array(try JSONEncoder.sorted.encode(normalized)), key: key, context: Self.detailsContext(subject))
            }
        }
        guard issues.isEmpty else { throw RequestError.invalid(issues) }
        var record = RequestRecord(
            id: UUID(), kind: input.kind, regulation: input.regulation, subjectID: subject,
            status: .received, receivedAt: received,
            dueAt: DueDate.due(regulation: input.regulation, kind: input.kind, receivedAt: received),
            purposes: input.purposes.map(\.rawValue), sealedDetails: sealed, createdAt: now, createdBy: caller.principal)
        if let subject {
            var filter = RequestFilter()
            filter.subjectID = subject
            filter.kind = input.kind
            // A duplicate is flagged, and still goes through verification on its own.
            record.duplicateOf = try await storedRequests(filter).first { $0.status.isOpen }?.id
        }
        var detail = "opened, \(input.regulation.rawValue), due \(Timestamp.format(record.dueAt))"
        if input.receivedAt != nil { detail += ", received_at recorded by \(caller.principal) as \(Timestamp.format(received))" }
        if let duplicate = record.duplicateOf { detail += ", duplicate of \(duplicate.uuidString.lowercased())" }
        try await insertStoredRequest(record, audit: write(caller, "request.open", record, detail: detail, at: now))
        return record
    }

    static func detailsContext(_ subject: SubjectID) -> [UInt8] { SealContext.frame(.requestDetails, subject.description) }

    public func get(_ id: UUID, caller: Caller) async throws -> RequestRecord {
        guard let record = try await storedRequest(id: id) else { throw RequestError.notFound }
        try await audit.record(
            caller.draft(
                "request.read", subjects: record.subjectID.map { [$0.description] } ?? [],
                detail: "request \(id.uuidString.lowercased())"))
        return record
    }

    public func list(_ filter: RequestFilter, caller: Caller) async throws -> [RequestRecord] {
        let records = try await storedRequests(filter)
        try await audit.record(caller.draft("request.list", detail: "\(records.count) requests"))
        return records
    }

    // MARK: Lifecycle

    func transition(
        _ id: UUID, _ step: RequestLifecycle.Step, caller: Caller, detail: String? = nil,
        change: (inout RequestRecord) -> Void
    ) async throws -> RequestRecord {
        guard let stored = try await storedRequest(id: id) else { throw RequestError.notFound }
        guard var record = stored.moved(by: step) else { throw RequestError.invalidTransition(from: stored.status.rawValue, step: step.rawValue) }
        let expected = stored.status
        change(&record)
        guard try await updateStoredRequest(record, expectedStatus: expected, audit: write(caller, "request.\(step.rawValue)", record, detail: detail)) else {
            // Someone else moved it first (two concurrent executes): one wins, one is told.
            let current = try await storedRequest(id: id)
            throw RequestError.invalidTransition(from: current?.status.rawValue ?? "gone", step: step.rawValue)
        }
        return record
    }

    /// Identity verification. The method is recorded on the request; evidence stays with the
    /// caller's case file. Free text (the method, a reason) stays out of the audit chain, which
    /// outlives an erasure and is read by admins: it may name the person.
    public func verify(_ id: UUID, method: String, caller: Caller, now: Date = Date()) async throws -> RequestRecord {
        try await transition(id, .verify, caller: caller, detail: "verified (method recorded on the request)") {
            $0.verificationMethod = method
            $0.verifiedAt = now
        }
    }

    public func reject(_ id: UUID, reason: String, caller: Caller) async throws -> RequestRecord {
        try await transition(id, .reject, caller: caller, detail: "rejected (reason recorded on the request)") { $0.rejectedReason = reason }
    }

    /// Extends the deadline once, with a reason, before the original due date.
    public func extend(_ id: UUID, reason: String, caller: Caller, now: Date = Date()) async throws -> RequestRecord {
        guard var record = try await storedRequest(id: id) else { throw RequestError.notFound }
        guard record.status.isOpen else { throw RequestError.extensionNotAllowed("the request is closed") }
        // An execution writes the completed row (with its tag) from the record it started with.
        guard record.status != .inProgress else { throw RequestError.extensionNotAllowed("the request is being executed") }
        guard record.extendedDueAt == nil else { throw RequestError.extensionNotAllowed("it was extended already") }
        guard now < record.dueAt else { throw RequestError.extensionNotAllowed("the original due date has passed") }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw RequestError.extensionNotAllowed("a reason is required") }
        guard record.kind != .optOut else {
            throw RequestError.extensionNotAllowed("opt-outs can't be extended")
        }
        record.extendedDueAt = DueDate.extended(regulation: record.regulation, originalDue: record.dueAt)
        record.extensionReason = reason
        guard
            try await updateStoredRequest(
                record, expectedStatus: record.status,
                audit: write(
                    caller, "request.extend", record,
                    detail: "due \(Timestamp.format(record.extendedDueAt!)) (reason recorded on the request)"))
        else { throw RequestError.invalidTransition(from: "changed", step: "extend") }
        return record
    }

    /// Executes a verified request (an opt-out needs no verification). Two concurrent calls
    /// produce one execution: the status moves to `in_progress` in one conditional update.
    public func execute(_ id: UUID, caller: Caller, now: Date = Date()) async throws -> RequestRecord {
        let started = try await transition(id, .execute, caller: caller) { $0.startedAt = now }
        return try await perform(started, caller: caller, now: now)
    }

    /// Completes requests left `in_progress` by a crash; every kind is idempotent.
    public func resumeInProgress(now: Date = Date()) async throws -> Int {
        var filter = RequestFilter()
        filter.status = .inProgress
        let pending = try await storedRequests(filter)
        for record in pending { _ = try await perform(record, caller: .system("resume"), now: now) }
        return pending.count
    }

    func perform(_ record: RequestRecord, caller: Caller, now: Date) async throws -> RequestRecord {
        let kind = record.kind
        switch kind {
        case .erasure:
            return try await erase(record, caller: caller, now: now)
        case .access, .portability:
            return try await complete(record, caller: caller, detail: "export available")
        case .restriction:
            if let subject = try await currentSubject(of: record) {
                try await store.setRestricted(subject, true)
                try await notify(record, kind: .restriction, now: now)
            }
            return try await complete(record, caller: caller, detail: "subject restricted to compliance")
        case .objection, .optOut:
            if let subject = try await currentSubject(of: record) {
                let purposes = kind == .optOut ? SaleAndSharing.purposes : record.purposes.compactMap(Purpose.init)
                let events = purposes.map {
                    ConsentEvent(
                        purpose: $0, status: .denied, lawfulBasis: kind == .optOut ? .consent : .legitimateInterests,
                        channel: "dsr:\(record.id.uuidString.lowercased())", occurredAt: now)
                }
                try await consents.append([(subject, events)], caller: caller, now: now)
            }
            return try await complete(
                record, caller: caller, detail: "denied for \(kind == .optOut ? "sale and sharing" : record.purposes.joined(separator: ","))")
        case .rectification:
            if let subject = record.subjectID, let sealed = record.sealedDetails, let wrapped = try await store.wrappedKey(of: subject) {
                let key = try keys.unwrapDataKey(wrapped, of: subject)
                let values = try JSONDecoder().decode(
                    [String: String].self, from: Data(try Envelope.open(sealed, key: key, context: Self.detailsContext(subject))))
                let recordJSON: JSONValue = .object([
                    "key": .string("dsr:\(record.id.uuidString.lowercased())"),
                    // Full precision: a source value of the same second must not look newer.
                    "observed_at": .string(now.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
                    "fields": .object(values.mapValues { .string($0) }),
                ])
                _ = try await ingest.ingest(
                    records: [recordJSON], from: SourceName(Survivorship.rectificationSource)!, caller: caller, now: now,
                    attachTo: subject)
                try await notify(record, kind: .rectification, now: now)
            }
            return try await complete(record, caller: caller, detail: "rectified")
        }
    }

    /// The subject a request acts on now: its own id, or the subject it has been merged into
    /// since the request was opened (ingest may link the person's records at any time); nil
    /// when it no longer exists.
    func currentSubject(of record: RequestRecord) async throws -> SubjectID? {
        guard let subject = record.subjectID else { return nil }
        return try await store.canonicalSubject(of: subject)
    }

    func complete(_ record: RequestRecord, caller: Caller, detail: String) async throws -> RequestRecord {
        guard var done = record.moved(by: .complete) else { throw RequestError.invalidTransition(from: record.status.rawValue, step: "complete") }
        done.completedAt = Date()
        guard
            try await updateStoredRequest(
                done, expectedStatus: record.status,
                audit: write(caller, "request.complete", done, detail: detail))
        else {
            return try await storedRequest(id: record.id) ?? done
        }
        return done
    }

    /// Queues a notice for every source holding records of the subject (GDPR Art. 19).
    func notify(_ record: RequestRecord, kind: NoticeKind, now: Date) async throws {
        guard let subject = record.subjectID else { return }
        let facts = try await store.erasureFacts(of: subject)
        let existing = Set(try await store.outbox(request: record.id).map(\.source))
        let dataKeys = try await dataKeys(of: facts.keyOwners)
        try await store.insertNotices(try notices(for: record, kind: kind, records: facts.records, dataKeys: dataKeys, skipping: existing, now: now))
    }

    /// One notice per source record: the source learns which of its records to act on.
    func notices(
        for record: RequestRecord, kind: NoticeKind, records: [SubjectRecordRef], dataKeys: [SubjectID: SymmetricKey],
        skipping: Set<SourceName> = [], now: Date
    ) throws -> [OutboxNotice] {
        var notices: [OutboxNotice] = []
        for ref in records where ref.source.rawValue != Survivorship.rectificationSource && !skipping.contains(ref.source) {
            // The source's own key, re-sealed under the outbox key: the data key may be about to go.
            var sealedKey: [UInt8]?
            if let key = dataKeys[ref.keyOwner] {
                let plaintext = try Envelope.open(ref.keyCiphertext, key: key, context: SealContext.recordKey(owner: ref.keyOwner, source: ref.source))
                sealedKey = try Envelope.seal(plaintext, key: keys.outboxKey, context: SealContext.frame(.outbox, ref.source.rawValue))
            }
            notices.append(
                OutboxNotice(
                    id: UUID(), source: ref.source, requestID: record.id, kind: kind, subjectID: record.subjectID!,
                    sealedKey: sealedKey, createdAt: now, ackedAt: nil))
        }
        return notices
    }

    func dataKeys(of owners: [SubjectID]) async throws -> [SubjectID: SymmetricKey] {
        var keys: [SubjectID: SymmetricKey] = [:]
        for owner in owners {
            if let wrapped = try await store.wrappedKey(of: owner) { keys[owner] = try self.keys.unwrapDataKey(wrapped, of: owner) }
        }
        return keys
    }
}

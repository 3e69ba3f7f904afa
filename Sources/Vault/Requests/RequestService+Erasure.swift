import Audit
import Foundation
import Identity
import Policy
import Requests
import Storage
import VaultCrypto
import VaultModel

/// What an erasure receipt states. Field *names*, counts, sources and key ids only.
struct ErasureReceipt: Codable {
    struct Erased: Codable {
        let fields: [String]
        let field_values: Int
        let sources: [String]
        let events: Int
        let consents: Int
        let data_keys_destroyed: Int
    }
    struct Held: Codable {
        let field: String
        let category: String
        let basis: String
        let until: String
    }
    struct Notice: Codable {
        let id: String
        let source: String
    }
    struct AuditHead: Codable {
        let seq: Int64
        let hash: String
    }
    let receipt_version: Int
    let request_id: String
    let subject_id: String
    let regulation: String
    let received_at: String
    let completed_at: String
    let erased: Erased
    let held: [Held]
    let suppressed_identifiers: Int
    let notices: [Notice]
    /// The audit chain head before this erasure: a second anchor of the chain outside it.
    let audit_head: AuditHead?
}

/// A receipt as stored and served: the exact signed text, its Ed25519 signature and the key.
public struct SignedReceipt: Codable, Sendable {
    public let signed: String
    public let signature: String
    public let public_key: String

    /// True when `key` is the key named in the receipt and its signature over `signed` holds
    /// (what `vaultctl request receipt --verify` checks against `GET /v1/keys`).
    public func verifies(with key: Ed25519PublicKey) -> Bool {
        guard public_key == Data(key.bytes).base64EncodedString(), let signature = Data(base64Encoded: signature) else { return false }
        return key.isValidSignature([UInt8](signature), for: Array(signed.utf8))
    }
}

extension RequestService {
    /// Crypto-shreds the subject, planning again when the store finds the plan outdated: an
    /// ingest may link or merge the person's records between the plan's read and the erasure's
    /// transaction, and an erasure must suppress and notify for those too.
    func erase(_ record: RequestRecord, caller: Caller, now: Date) async throws -> RequestRecord {
        for _ in 0..<4 {
            do { return try await eraseOnce(record, caller: caller, now: now) } catch StoreError.staleResolution { continue }
        }
        return try await eraseOnce(record, caller: caller, now: now)
    }

    /// Suppression entries, notices, held values, deletion of every row and data key, the
    /// request completed with its signed receipt, all in one transaction; the ledger entry is
    /// written first, and the WAL is truncated after.
    func eraseOnce(_ record: RequestRecord, caller: Caller, now: Date) async throws -> RequestRecord {
        // Refused before anything is written (the ledger entry comes first).
        guard record.moved(by: .complete) != nil else { throw RequestError.invalidTransition(from: record.status.rawValue, step: "complete") }
        let policy = policies.current
        guard let subject = try await currentSubject(of: record) else {
            // Nothing held (or already erased, e.g. by a ledger replay after a crash).
            let receipt = try sign(
                receipt(
                    record, subject: record.subjectID,
                    erased: .init(
                        fields: [], field_values: 0, sources: [], events: 0, consents: 0,
                        data_keys_destroyed: 0), held: [], suppressed: 0, notices: [], now: now))
            var done = record
            done.receipt = receipt
            return try await completeErasure(done, caller: caller, detail: "nothing held (already erased or unknown)", now: now)
        }
        let facts = try await store.erasureFacts(of: subject)
        let dataKeys = try await dataKeys(of: facts.keyOwners)
        guard let profile = try await reader.read(subject) else { throw RequestError.unknownSubject }

        var held: [HeldValue] = []
        for (name, surviving) in profile.fields.sorted(by: { $0.key < $1.key }) {
            guard let category = policy.catalog.fields[name]?.category, let hold = policy.hold(for: category) else { continue }
            let ciphertext = try Envelope.seal(
                Array(surviving.golden.value.unsafeValue.utf8), key: keys.holdKey,
                context: Self.holdContext(subject, name))
            held.append(
                tagged(
                    HeldValue(
                        field: name, category: category.rawValue, basis: hold.basis,
                        until: DueDate.addDays(hold.days, to: now), ciphertext: ciphertext), of: subject))
        }
        let notices = try notices(for: record, kind: .erasure, records: facts.records, dataKeys: dataKeys, now: now)
        let suppressions = facts.identifiers + facts.records.map(\.keyIndex)
        let head = try await store.auditHead()
        let erased = ErasureReceipt.Erased(
            fields: profile.fields.keys.map(\.rawValue).sorted(),
            field_values: profile.fields.values.reduce(0) { $0 + 1 + $1.alternatives.count },
            sources: profile.sources.map(\.rawValue), events: profile.events.count, consents: profile.consents.count,
            data_keys_destroyed: facts.keyOwners.count)
        let signed = try sign(
            receipt(
                record, subject: subject, erased: erased, held: held, suppressed: Set(suppressions.map(\.bytes)).count,
                notices: notices, now: now, head: head))

        try ledger.append(
            .init(
                request_id: record.id.uuidString.lowercased(), subject_id: subject.description,
                key_owners: facts.keyOwners.map(\.description), at: Timestamp.format(now),
                suppressions: Set(suppressions.map { HashChain.hex($0.bytes) }).sorted()))
        faultPoint("erasure-after-ledger")
        var plan = ErasurePlan(
            subjectID: subject, keyOwners: facts.keyOwners, suppressions: suppressions, notices: notices, held: held,
            requestID: record.id, receipt: signed, completedAt: now)
        guard var completed = record.moved(by: .complete) else { throw RequestError.invalidTransition(from: record.status.rawValue, step: "complete") }
        completed.completedAt = now
        completed.receipt = signed
        completed.subjectID = completed.subjectID ?? subject
        plan.requestStatus = completed.status
        plan.requestTag = keys.rows.tag(completed)
        plan.requestSubject = completed.subjectID
        let draft = caller.draft(
            "request.complete", subjects: [subject.description], fields: erased.fields,
            detail: "request \(record.id.uuidString.lowercased()) erasure: \(facts.keyOwners.count) data keys destroyed, "
                + "\(held.count) values held, \(notices.count) notices", at: now)
        try await store.erase(plan, audit: AuditWrite(draft: draft, chain: keys.auditChain))
        // The erasure is committed; the checkpoint only moves freed pages out of the WAL. A
        // long reader can make it busy: retry briefly, and the next checkpoint completes it.
        for attempt in 0..<5 {
            do {
                try await store.checkpoint()
                break
            } catch { try? await Task.sleep(for: .milliseconds(20 << attempt)) }
        }
        var done = completed
        // The erasure cleared what officers wrote on the person's requests, this one's too.
        done.verificationMethod = nil
        done.rejectedReason = nil
        done.extensionReason = nil
        return done
    }

    func completeErasure(_ record: RequestRecord, caller: Caller, detail: String, now: Date) async throws -> RequestRecord {
        guard var done = record.moved(by: .complete) else { throw RequestError.invalidTransition(from: record.status.rawValue, step: "complete") }
        done.completedAt = now
        _ = try await updateStoredRequest(done, expectedStatus: record.status, audit: write(caller, "request.complete", done, detail: detail))
        return done
    }

    /// A held value with its tag (`HeldValueRow`): checked before an export shows it or the
    /// retention sweep ends its hold.
    func tagged(_ value: HeldValue, of subject: SubjectID) -> HeldValue {
        var tagged = value
        tagged.mac = keys.rows.tag(value.row(of: subject))
        return tagged
    }

    /// The held values of `subject`, each checked against its tag.
    func verifiedHeldValues(of subject: SubjectID) async throws -> [HeldValue] {
        let values = try await store.heldValues(of: subject)
        for value in values where !keys.rows.verify(value.row(of: subject), mac: value.mac) { throw RowIntegrityError.heldValue }
        return values
    }

    static func holdContext(_ subject: SubjectID, _ field: FieldName) -> [UInt8] {
        SealContext.frame(.legalHold, subject.description, field.rawValue)
    }

    func receipt(
        _ record: RequestRecord, subject: SubjectID?, erased: ErasureReceipt.Erased, held: [HeldValue], suppressed: Int,
        notices: [OutboxNotice], now: Date, head: (seq: Int64, hash: [UInt8])? = nil
    ) -> ErasureReceipt {
        ErasureReceipt(
            receipt_version: 1, request_id: record.id.uuidString.lowercased(), subject_id: subject?.description ?? "none",
            regulation: record.regulation.rawValue, received_at: Timestamp.format(record.receivedAt), completed_at: Timestamp.format(now),
            erased: erased,
            held: held.map { .init(field: $0.field.rawValue, category: $0.category, basis: $0.basis, until: Timestamp.format($0.until)) },
            suppressed_identifiers: suppressed,
            notices: notices.map { .init(id: $0.id.uuidString.lowercased(), source: $0.source.rawValue) },
            audit_head: head.map { .init(seq: $0.seq, hash: $0.hash.map { String(format: "%02x", $0) }.joined()) })
    }

    func sign(_ receipt: ErasureReceipt) throws -> String {
        let text = String(decoding: try JSONEncoder.sorted.encode(receipt), as: UTF8.self)
        let signature = try keys.signingKey.signature(for: Array(text.utf8))
        let signed = SignedReceipt(
            signed: text, signature: Data(signature).base64EncodedString(),
            public_key: Data(try keys.signingKey.publicKey.bytes).base64EncodedString())
        return String(decoding: try JSONEncoder.sorted.encode(signed), as: UTF8.self)
    }

    /// Replays the erasure ledger at start: anyone it names who is still in the database
    /// (a crash before the transaction, or a restored backup) is erased again before serving.
    /// An entry names the erased subject and every key owner, which includes the subjects
    /// merged into it: a backup taken before a merge holds those as people of their own, and
    /// each is erased (under whatever subject it belongs to in the backup).
    public func replayErasureLedger(now: Date = Date()) async throws -> Int {
        var replayed = 0
        let entries = try ledger.entries()
        for entry in entries {
            var erased: Set<SubjectID> = []
            for named in ([entry.subject_id] + entry.key_owners).compactMap(SubjectID.init) {
                guard let subject = try await store.canonicalSubject(of: named), erased.insert(subject).inserted else { continue }
                let requestID = UUID(uuidString: entry.request_id) ?? UUID()
                var record =
                    try await storedRequest(id: requestID)
                    ?? RequestRecord(
                        id: requestID, kind: .erasure, regulation: .gdpr, subjectID: subject,
                        status: .inProgress, receivedAt: now, dueAt: now, createdAt: now, createdBy: "erasure-ledger")
                record.subjectID = subject
                // The ledger says the erasure was executed: whatever the restored row says
                // (received, verified, or completed for another key owner), it was in progress.
                record.status = .inProgress
                _ = try await erase(record, caller: .system("ledger-replay"), now: now)
                replayed += 1
            }
        }
        try await restoreSuppressions(from: entries, caller: .system("ledger-replay"), now: now)
        return replayed
    }
}

extension RequestService {
    /// Puts back the suppression entries the erasure ledger names and the database lacks: a
    /// deleted row would let an erased person's identifier create a new subject. Run at start
    /// (after a restore the missing entries are expected) and on the integrity schedule (then
    /// a missing entry was deleted in the database). Returns how many were restored; each
    /// restoration is audited.
    @discardableResult
    public func restoreSuppressions(now: Date = Date()) async throws -> Int {
        try await restoreSuppressions(from: try ledger.entries(), caller: .system("integrity-check"), now: now)
    }

    func restoreSuppressions(from entries: [ErasureLedger.Entry], caller: Caller, now: Date) async throws -> Int {
        var restored = 0
        for entry in entries {
            guard let hex = entry.suppressions, !hex.isEmpty, let request = UUID(uuidString: entry.request_id) else { continue }
            let indexes = hex.compactMap(HexDigit.bytes)
            guard indexes.count == hex.count else { throw ErasureLedgerError.corrupt }
            let missing = try await store.restoreSuppressions(indexes, requestID: request, at: now)
            guard missing > 0 else { continue }
            try await audit.record(
                caller.draft(
                    "suppression.restore", outcome: "failed",
                    detail: "\(missing) suppression entries of request \(entry.request_id) were missing from the database; restored from the erasure ledger"))
            restored += missing
            // While an entry was missing, a record with the person's identifier could create a
            // new subject: it is erased like the person was.
            for subject in try await store.subjects(matching: indexes.map { BlindIndex(version: BlindIndex.currentVersion, bytes: $0) }) {
                let record = RequestRecord(
                    id: UUID(), kind: .erasure, regulation: .gdpr, subjectID: subject,
                    status: .inProgress, receivedAt: now, dueAt: now, createdAt: now,
                    createdBy: "suppression-restore")
                try await insertStoredRequest(
                    record,
                    audit: write(
                        caller, "request.open", record,
                        detail: "erasure of a subject created while suppression entries were missing", at: now))
                _ = try await erase(record, caller: caller, now: now)
            }
        }
        return restored
    }
}

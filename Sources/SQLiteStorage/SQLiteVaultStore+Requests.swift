import Foundation
import GRDB
import Identity
import Requests
import Storage
import VaultModel

extension SQLiteVaultStore {
    public func insertRequest(_ request: RequestRecord, audit: AuditWrite) async throws {
        try await pool.write { db in
            try Self.write(db, request, insert: true)
            try self.appendAudit(db, [audit.draft], chain: audit.chain)
        }
    }

    public func updateRequest(_ request: RequestRecord, expectedStatus: RequestStatus, audit: AuditWrite) async throws -> Bool {
        try await pool.write { db in
            let current = try String.fetchOne(db, sql: "SELECT status FROM requests WHERE request_id = ?", arguments: [request.id.uuidString.lowercased()])
            guard current == expectedStatus.rawValue else { return false }
            try Self.write(db, request, insert: false)
            try self.appendAudit(db, [audit.draft], chain: audit.chain)
            return true
        }
    }

    static func write(_ db: Database, _ r: RequestRecord, insert: Bool) throws {
        let arguments: StatementArguments = [
            r.kind.rawValue, r.regulation.rawValue, r.subjectID?.description, r.status.rawValue, millis(r.receivedAt), millis(r.dueAt),
            r.extendedDueAt.map(millis),
            r.extensionReason, r.duplicateOf?.uuidString.lowercased(), r.verificationMethod, r.verifiedAt.map(millis), r.startedAt.map(millis),
            r.completedAt.map(millis), r.rejectedReason, jsonList(r.purposes), r.sealedDetails.map { Data($0) }, r.receipt,
            millis(r.createdAt), r.createdBy, r.mac.map { Data($0) }, r.id.uuidString.lowercased(),
        ]
        if insert {
            try db.execute(
                sql: """
                    INSERT INTO requests (kind, regulation, subject_id, status, received_at, due_at, extended_due_at, extension_reason, duplicate_of,
                        verification_method, verified_at, started_at, completed_at, rejected_reason, purposes, sealed_details, receipt, created_at,
                        created_by, mac, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: arguments)
        } else {
            try db.execute(
                sql: """
                    UPDATE requests SET kind = ?, regulation = ?, subject_id = ?, status = ?, received_at = ?, due_at = ?, extended_due_at = ?,
                        extension_reason = ?, duplicate_of = ?, verification_method = ?, verified_at = ?, started_at = ?, completed_at = ?,
                        rejected_reason = ?, purposes = ?, sealed_details = ?, receipt = ?, created_at = ?, created_by = ?, mac = ? WHERE request_id = ?
                    """, arguments: arguments)
        }
    }

    static func requestRecord(_ row: Row) throws -> RequestRecord {
        guard let id = UUID(uuidString: row["request_id"]) else { throw StoreError.corrupt("requests row") }
        var r = RequestRecord(
            id: id, kind: try storedEnum(row["kind"], "requests.kind"), regulation: try storedEnum(row["regulation"], "requests.regulation"),
            subjectID: (row["subject_id"] as String?).flatMap(SubjectID.init), status: try storedEnum(row["status"], "requests.status"),
            receivedAt: date(row["received_at"]), dueAt: date(row["due_at"]), purposes: list(row["purposes"]),
            sealedDetails: (row["sealed_details"] as Data?).map { [UInt8]($0) }, createdAt: date(row["created_at"]),
            createdBy: row["created_by"])
        r.extendedDueAt = (row["extended_due_at"] as Int64?).map(date)
        r.extensionReason = row["extension_reason"]
        r.duplicateOf = (row["duplicate_of"] as String?).flatMap(UUID.init(uuidString:))
        r.verificationMethod = row["verification_method"]
        r.verifiedAt = (row["verified_at"] as Int64?).map(date)
        r.startedAt = (row["started_at"] as Int64?).map(date)
        r.completedAt = (row["completed_at"] as Int64?).map(date)
        r.rejectedReason = row["rejected_reason"]
        r.receipt = row["receipt"]
        r.mac = (row["mac"] as Data?).map { [UInt8]($0) }
        return r
    }

    public func request(id: UUID) async throws -> RequestRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM requests WHERE request_id = ?", arguments: [id.uuidString.lowercased()]).map(Self.requestRecord)
        }
    }

    public func requests(_ filter: RequestFilter) async throws -> [RequestRecord] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let status = filter.status {
                conditions.append("status = ?")
                _ = arguments.append(contentsOf: [status.rawValue])
            }
            if let kind = filter.kind {
                conditions.append("kind = ?")
                _ = arguments.append(contentsOf: [kind.rawValue])
            }
            if filter.openOnly { conditions.append("status NOT IN ('completed', 'rejected')") }
            if let subject = filter.subjectID {
                conditions.append("subject_id = ?")
                _ = arguments.append(contentsOf: [subject.description])
            }
            if let at = filter.overdueAt {
                conditions.append("status NOT IN ('completed', 'rejected') AND COALESCE(extended_due_at, due_at) < ?")
                _ = arguments.append(contentsOf: [Self.millis(at)])
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: "SELECT * FROM requests \(whereClause) ORDER BY received_at, request_id", arguments: arguments)
                .map(Self.requestRecord)
        }
    }

    public func erasureFacts(of subject: SubjectID) async throws -> (records: [SubjectRecordRef], identifiers: [BlindIndex], keyOwners: [SubjectID]) {
        try await pool.read { db in try Self.erasureFacts(db, subject.description, self.rowTags) }
    }

    /// The links read are checked: an erasure acts on the person's own records and identifiers.
    static func erasureFacts(
        _ db: Database, _ id: String, _ tags: StoreRowTags
    ) throws -> (records: [SubjectRecordRef], identifiers: [BlindIndex], keyOwners: [SubjectID]) {
        let records = try Row.fetchAll(
            db, sql: "SELECT source, key_index, bi_version, key_owner, key_ciphertext, subject_id, mac FROM source_records WHERE subject_id = ?",
            arguments: [id]
        ).compactMap { row -> SubjectRecordRef? in
            try checkedRecordSubject(
                source: row["source"], keyIndex: [UInt8](row["key_index"] as Data), subject: row["subject_id"], mac: (row["mac"] as Data?).map { [UInt8]($0) },
                tags)
            guard let source = SourceName(row["source"]), let owner = SubjectID(row["key_owner"] as String) else { return nil }
            return SubjectRecordRef(
                source: source, keyIndex: BlindIndex(version: row["bi_version"], bytes: [UInt8](row["key_index"] as Data)),
                keyOwner: owner, keyCiphertext: [UInt8](row["key_ciphertext"] as Data))
        }
        let identifiers = try Row.fetchAll(
            db,
            sql: """
                SELECT i.field, i.bi_version, i.blind_index, i.subject_id, i.mac, r.source, r.key_index
                FROM identifiers i JOIN source_records r ON r.record_id = i.record_id WHERE i.subject_id = ?
                """, arguments: [id]
        ).map { row in
            let index = BlindIndex(version: row["bi_version"], bytes: [UInt8](row["blind_index"] as Data))
            try checkedIdentifierSubject(
                source: row["source"], keyIndex: [UInt8](row["key_index"] as Data), field: row["field"], version: index.version, blindIndex: index.bytes,
                subject: row["subject_id"], mac: (row["mac"] as Data?).map { [UInt8]($0) }, tags)
            return index
        }
        var owners: Set<String> = [id]
        for table in ["field_values", "events", "event_totals", "consent_events", "source_records"] {
            owners.formUnion(try String.fetchAll(db, sql: "SELECT DISTINCT key_owner FROM \(table) WHERE subject_id = ?", arguments: [id]))
        }
        owners.formUnion(try String.fetchAll(db, sql: "SELECT subject_id FROM subjects WHERE merged_into = ?", arguments: [id]))
        // Every key owner is the person or was merged into them, by authentic headers: an erasure
        // destroys these keys, so a forged merge or a foreign key owner must not reach another person's.
        guard let subject = SubjectID.stored(id) else { throw StoreError.corrupt("subjects row") }
        let keyOwners = try owners.map { text -> SubjectID in
            guard let owner = SubjectID.stored(text) else { throw StoreError.corrupt("key_owner") }
            if owner != subject, try canonical(db, owner, tags) != subject { throw RowIntegrityError.subject }
            return owner
        }
        return (records, identifiers, keyOwners.sorted())
    }

    public func erase(_ plan: ErasurePlan, audit: AuditWrite) async throws {
        try await pool.write { db in
            let id = plan.subjectID.description
            // The plan was made from a read before this transaction; an ingest between the two
            // may have merged someone in or linked a record. Then its suppressions, notices and
            // keys are incomplete (a source re-sending the new record would bring the person
            // back): refuse, and the request service plans again.
            guard try Self.canonical(db, plan.subjectID, self.rowTags) == plan.subjectID,
                plan.covers(try Self.erasureFacts(db, id, self.rowTags))
            else { throw StoreError.staleResolution }
            let now = Self.millis(plan.completedAt)
            for index in plan.suppressions {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO suppressions (blind_index, request_id, created_at) VALUES (?, ?, ?)",
                    arguments: [Data(index.bytes), plan.requestID.uuidString.lowercased(), now])
            }
            try Self.insert(db, plan.notices)
            for held in plan.held {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO held_values (subject_id, field, category, basis, held_until, ciphertext, mac) VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        id, held.field.rawValue, held.category, held.basis, Self.millis(held.until), Data(held.ciphertext), held.mac.map { Data($0) },
                    ])
            }
            for table in ["field_values", "identifiers", "events", "event_totals", "consent_events", "source_records"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE subject_id = ?", arguments: [id])
            }
            // Crypto-shredding: the wrapped data keys go, so any copy of the ciphertext left
            // anywhere (dead pages, backups) can no longer be opened.
            for owner in plan.keyOwners {
                // The plan's owners only (each checked by `erasureFacts`); the plan covers every alias.
                try db.execute(sql: "DELETE FROM subjects WHERE subject_id = ?", arguments: [owner.description])
                try db.execute(sql: "DELETE FROM merges WHERE winner = ? OR loser = ?", arguments: [owner.description, owner.description])
            }
            // What officers wrote on the person's requests (sealed, it may name them) goes too.
            for owner in Set([id] + plan.keyOwners.map(\.description)) {
                try db.execute(
                    sql: """
                        UPDATE requests SET sealed_details = NULL, verification_method = NULL, rejected_reason = NULL, extension_reason = NULL
                        WHERE subject_id = ?
                        """, arguments: [owner])
            }
            try db.execute(
                sql: "UPDATE requests SET status = ?, completed_at = ?, receipt = ?, mac = ?, subject_id = ? WHERE request_id = ?",
                arguments: [
                    plan.requestStatus.rawValue, now, plan.receipt, plan.requestTag.map { Data($0) }, (plan.requestSubject ?? plan.subjectID).description,
                    plan.requestID.uuidString.lowercased(),
                ])
            try self.appendAudit(db, [audit.draft], chain: audit.chain)
        }
    }

    /// Flushes the WAL into the main file and truncates it, so freed pages of erased people don't
    /// linger in the `-wal` file; pinned readers let go of their snapshots first.
    public func checkpoint() async throws {
        try await readers.withoutPins { try await pool.writeWithoutTransaction { try $0.checkpoint(.truncate) } }
    }

    public func heldValues(of subject: SubjectID) async throws -> [HeldValue] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM held_values WHERE subject_id = ? ORDER BY field", arguments: [subject.description]).map(Self.heldValue)
        }
    }

    public func allHeldValues() async throws -> [(subject: SubjectID, value: HeldValue)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM held_values ORDER BY subject_id, field").map { row in
                guard let subject = SubjectID.stored(row["subject_id"] as String) else { throw StoreError.corrupt("held_values row") }
                return (subject, Self.heldValue(row))
            }
        }
    }

    static func heldValue(_ row: Row) -> HeldValue {
        HeldValue(
            field: FieldName(row["field"] as String), category: row["category"], basis: row["basis"], until: date(row["held_until"]),
            ciphertext: [UInt8](row["ciphertext"] as Data), mac: (row["mac"] as Data?).map { [UInt8]($0) })
    }

    static func insert(_ db: Database, _ notices: [OutboxNotice]) throws {
        for notice in notices {
            try db.execute(
                sql: """
                    INSERT INTO outbox (notice_id, source, request_id, kind, subject_id, sealed_key, created_at, acked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
                    """,
                arguments: [
                    notice.id.uuidString.lowercased(), notice.source.rawValue, notice.requestID.uuidString.lowercased(), notice.kind.rawValue,
                    notice.subjectID.description, notice.sealedKey.map { Data($0) }, millis(notice.createdAt),
                ])
        }
    }

    public func insertNotices(_ notices: [OutboxNotice]) async throws {
        try await pool.write { db in try Self.insert(db, notices) }
    }

    static func notice(_ row: Row) throws -> OutboxNotice {
        guard let id = UUID(uuidString: row["notice_id"]), let source = SourceName(row["source"]), let request = UUID(uuidString: row["request_id"]),
            let subject = SubjectID(row["subject_id"] as String)
        else { throw StoreError.corrupt("outbox row") }
        return OutboxNotice(
            id: id, source: source, requestID: request,
            kind: try storedEnum(row["kind"], "outbox.kind"), subjectID: subject, sealedKey: (row["sealed_key"] as Data?).map { [UInt8]($0) },
            createdAt: date(row["created_at"]), ackedAt: (row["acked_at"] as Int64?).map(date))
    }

    public func outbox(source: SourceName, includeAcknowledged: Bool) async throws -> [OutboxNotice] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM outbox WHERE source = ? \(includeAcknowledged ? "" : "AND acked_at IS NULL") ORDER BY created_at, notice_id",
                arguments: [source.rawValue]
            ).map(Self.notice)
        }
    }

    public func outbox(request: UUID) async throws -> [OutboxNotice] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE request_id = ? ORDER BY source, notice_id", arguments: [request.uuidString.lowercased()])
                .map(Self.notice)
        }
    }

    public func acknowledge(notice: UUID, source: SourceName, at time: Date, audit: AuditWrite) async throws -> Bool {
        try await pool.write { db in
            // The source key is needed only until the source confirms: drop it then.
            try db.execute(
                sql: "UPDATE outbox SET acked_at = ?, sealed_key = NULL WHERE notice_id = ? AND source = ? AND acked_at IS NULL",
                arguments: [Self.millis(time), notice.uuidString.lowercased(), source.rawValue])
            guard db.changesCount > 0 else { return false }
            try self.appendAudit(db, [audit.draft], chain: audit.chain)
            return true
        }
    }

    public func subjectExists(_ subject: SubjectID) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM subjects WHERE subject_id = ?", arguments: [subject.description]) ?? false
        }
    }
}

extension SQLiteVaultStore {
    public func restoreSuppressions(_ indexes: [[UInt8]], requestID: UUID, at time: Date) async throws -> Int {
        try await pool.write { db in
            var restored = 0
            for index in indexes {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO suppressions (blind_index, request_id, created_at) VALUES (?, ?, ?)",
                    arguments: [Data(index), requestID.uuidString.lowercased(), Self.millis(time)])
                restored += db.changesCount
            }
            return restored
        }
    }

    public func complianceFigures() async throws -> ComplianceFigures {
        try await pool.read { db in
            ComplianceFigures(
                suppressions: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM suppressions") ?? 0,
                pendingNotices: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL") ?? 0)
        }
    }
}

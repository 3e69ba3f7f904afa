import Foundation
import Identity
import PostgresNIO
import Requests
import Storage
import VaultModel

extension PostgresVaultStore {
    public func insertRequest(_ request: RequestRecord, audit: AuditWrite) async throws {
        try await write { s in
            try await Self.write(s, request, insert: true)
            try await self.appendAudit(s, [audit.draft], chain: audit.chain)
        }
    }

    public func updateRequest(_ request: RequestRecord, expectedStatus: RequestStatus, audit: AuditWrite) async throws -> Bool {
        try await write { s in
            let current = try await s.column("SELECT status FROM requests WHERE request_id = \(request.id.uuidString.lowercased())", as: String.self).first
            guard current == expectedStatus.rawValue else { return false }
            try await Self.write(s, request, insert: false)
            try await self.appendAudit(s, [audit.draft], chain: audit.chain)
            return true
        }
    }

    static func write(_ s: PostgresSession, _ r: RequestRecord, insert: Bool) async throws {
        let id = r.id.uuidString.lowercased()
        let sealed = r.sealedDetails.map(bytea)
        if insert {
            try await s.execute(
                """
                INSERT INTO requests (request_id, kind, regulation, subject_id, status, received_at, due_at, extended_due_at, extension_reason,
                    duplicate_of, verification_method, verified_at, started_at, completed_at, rejected_reason, purposes, sealed_details,
                    receipt, created_at, created_by, mac)
                VALUES (\(id), \(r.kind.rawValue), \(r.regulation.rawValue), \(r.subjectID?.description), \(r.status.rawValue), \(millis(r.receivedAt)), \(millis(r.dueAt)),
                    \(r.extendedDueAt.map(millis)), \(r.extensionReason), \(r.duplicateOf?.uuidString.lowercased()), \(r.verificationMethod),
                    \(r.verifiedAt.map(millis)), \(r.startedAt.map(millis)), \(r.completedAt.map(millis)), \(r.rejectedReason),
                    \(jsonList(r.purposes)), \(sealed), \(r.receipt), \(millis(r.createdAt)), \(r.createdBy), \(r.mac.map(bytea)))
                """)
        } else {
            try await s.execute(
                """
                UPDATE requests SET kind = \(r.kind.rawValue), regulation = \(r.regulation.rawValue), subject_id = \(r.subjectID?.description), status = \(r.status.rawValue),
                    received_at = \(millis(r.receivedAt)), due_at = \(millis(r.dueAt)), extended_due_at = \(r.extendedDueAt.map(millis)),
                    extension_reason = \(r.extensionReason), duplicate_of = \(r.duplicateOf?.uuidString.lowercased()),
                    verification_method = \(r.verificationMethod), verified_at = \(r.verifiedAt.map(millis)), started_at = \(r.startedAt.map(millis)),
                    completed_at = \(r.completedAt.map(millis)), rejected_reason = \(r.rejectedReason), purposes = \(jsonList(r.purposes)),
                    sealed_details = \(sealed), receipt = \(r.receipt), created_at = \(millis(r.createdAt)), created_by = \(r.createdBy),
                    mac = \(r.mac.map(bytea))
                WHERE request_id = \(id)
                """)
        }
    }

    static func requestRecord(_ row: PostgresRandomAccessRow) throws -> RequestRecord {
        guard let id = UUID(uuidString: try row.get("request_id")) else { throw StoreError.corrupt("requests row") }
        var r = RequestRecord(
            id: id, kind: try storedEnum(try row.get("kind"), "requests.kind"), regulation: try storedEnum(try row.get("regulation"), "requests.regulation"),
            subjectID: try row.get("subject_id", as: String?.self).flatMap(SubjectID.init), status: try storedEnum(try row.get("status"), "requests.status"),
            receivedAt: try row.date("received_at"), dueAt: try row.date("due_at"),
            purposes: list(try row.get("purposes", as: String?.self) ?? "[]"),
            sealedDetails: try row.optionalBytes("sealed_details"), createdAt: try row.date("created_at"),
            createdBy: try row.get("created_by"))
        r.extendedDueAt = try row.optionalDate("extended_due_at")
        r.extensionReason = try row.get("extension_reason", as: String?.self)
        r.duplicateOf = try row.get("duplicate_of", as: String?.self).flatMap(UUID.init(uuidString:))
        r.verificationMethod = try row.get("verification_method", as: String?.self)
        r.verifiedAt = try row.optionalDate("verified_at")
        r.startedAt = try row.optionalDate("started_at")
        r.completedAt = try row.optionalDate("completed_at")
        r.rejectedReason = try row.get("rejected_reason", as: String?.self)
        r.receipt = try row.get("receipt", as: String?.self)
        r.mac = try row.optionalBytes("mac")
        return r
    }

    public func request(id: UUID) async throws -> RequestRecord? {
        try await session { s in try await s.row("SELECT * FROM requests WHERE request_id = \(id.uuidString.lowercased())").map(Self.requestRecord) }
    }

    public func requests(_ filter: RequestFilter) async throws -> [RequestRecord] {
        var clause = FilterClause()
        if let status = filter.status { clause.add("status = ?", status.rawValue) }
        if let kind = filter.kind { clause.add("kind = ?", kind.rawValue) }
        if filter.openOnly { clause.add("status NOT IN ('completed', 'rejected')") }
        if let subject = filter.subjectID { clause.add("subject_id = ?", subject.description) }
        if let at = filter.overdueAt { clause.add("status NOT IN ('completed', 'rejected') AND COALESCE(extended_due_at, due_at) < ?", Self.millis(at)) }
        let statement = PostgresQuery(unsafeSQL: "SELECT * FROM requests \(clause.sql) ORDER BY received_at, request_id", binds: clause.binds)
        return try await session { s in try await s.rows(statement).map(Self.requestRecord) }
    }

    public func erasureFacts(of subject: SubjectID) async throws -> (records: [SubjectRecordRef], identifiers: [BlindIndex], keyOwners: [SubjectID]) {
        try await read { s in try await Self.erasureFacts(s, subject.description, self.rowTags) }
    }

    static func erasureFacts(
        _ s: PostgresSession, _ id: String, _ tags: StoreRowTags
    ) async throws -> (records: [SubjectRecordRef], identifiers: [BlindIndex], keyOwners: [SubjectID]) {
        // The links read are checked: an erasure acts on the person's own records and identifiers.
        let records = try await s.rows(
            "SELECT source, key_index, bi_version, key_owner, key_ciphertext, subject_id, mac FROM source_records WHERE subject_id = \(id)"
        )
        .compactMap { row -> SubjectRecordRef? in
            try checkedRecordSubject(
                source: try row.get("source"), keyIndex: try row.bytes("key_index"), subject: try row.get("subject_id"),
                mac: try row.optionalBytes("mac"), tags)
            guard let source = SourceName(try row.get("source", as: String.self)), let owner = SubjectID(try row.get("key_owner", as: String.self))
            else { return nil }
            return SubjectRecordRef(
                source: source, keyIndex: BlindIndex(version: try row.get("bi_version", as: Int.self), bytes: try row.bytes("key_index")),
                keyOwner: owner, keyCiphertext: try row.bytes("key_ciphertext"))
        }
        let identifiers = try await s.rows(
            "\(unescaped: identifierLinkColumns) FROM identifiers i JOIN source_records r ON r.record_id = i.record_id WHERE i.subject_id = \(id)"
        ).map { try checkedIdentifierLink($0, tags).blindIndex }
        var owners: Set<String> = [id]
        for table in ["field_values", "events", "event_totals", "consent_events", "source_records"] {
            owners.formUnion(try await s.column("SELECT DISTINCT key_owner FROM \(unescaped: table) WHERE subject_id = \(id)", as: String.self))
        }
        owners.formUnion(try await s.column("SELECT subject_id FROM subjects WHERE merged_into = \(id)", as: String.self))
        // Every key owner is the person or was merged into them, by authentic headers: an erasure
        // destroys these keys, so a forged merge or a foreign key owner must not reach another person's.
        guard let subject = SubjectID.stored(id) else { throw StoreError.corrupt("subjects row") }
        var keyOwners: [SubjectID] = []
        for text in owners {
            guard let owner = SubjectID.stored(text) else { throw StoreError.corrupt("key_owner") }
            if owner != subject, try await canonical(s, owner, tags) != subject { throw RowIntegrityError.subject }
            keyOwners.append(owner)
        }
        return (records, identifiers, keyOwners.sorted())
    }

    public func erase(_ plan: ErasurePlan, audit: AuditWrite) async throws {
        try await write { s in
            let id = plan.subjectID.description
            // Under the writer lock: the plan, made from an earlier read, must still cover the
            // person (see the SQLite store), or the request service plans again.
            guard try await Self.canonical(s, plan.subjectID, self.rowTags) == plan.subjectID,
                plan.covers(try await Self.erasureFacts(s, id, self.rowTags))
            else { throw StoreError.staleResolution }
            let now = Self.millis(plan.completedAt)
            let request = plan.requestID.uuidString.lowercased()
            for index in plan.suppressions {
                try await s.execute(
                    """
                    INSERT INTO suppressions (blind_index, request_id, created_at) VALUES (\(bytea(index.bytes)), \(request), \(now))
                    ON CONFLICT (blind_index) DO NOTHING
                    """)
            }
            try await Self.insert(s, plan.notices)
            for held in plan.held {
                try await s.execute(
                    """
                    INSERT INTO held_values (subject_id, field, category, basis, held_until, ciphertext, mac)
                    VALUES (\(id), \(held.field.rawValue), \(held.category), \(held.basis), \(Self.millis(held.until)), \(bytea(held.ciphertext)),
                            \(held.mac.map(bytea)))
                    ON CONFLICT (subject_id, field) DO UPDATE SET category = EXCLUDED.category, basis = EXCLUDED.basis,
                        held_until = EXCLUDED.held_until, ciphertext = EXCLUDED.ciphertext, mac = EXCLUDED.mac
                    """)
            }
            for table in ["field_values", "identifiers", "events", "event_totals", "consent_events", "source_records"] {
                try await s.execute("DELETE FROM \(unescaped: table) WHERE subject_id = \(id)")
            }
            // Crypto-shredding: the wrapped data keys go, so any copy of the ciphertext left
            // anywhere (dead tuples, WAL, backups) can no longer be opened with the vault's keys.
            for owner in plan.keyOwners.map(\.description) {
                // The plan's owners only (each checked by `erasureFacts`); the plan covers every alias.
                try await s.execute("DELETE FROM subjects WHERE subject_id = \(owner)")
                try await s.execute("DELETE FROM merges WHERE winner = \(owner) OR loser = \(owner)")
            }
            // What officers wrote on the person's requests (sealed, it may name them) goes too.
            for owner in Set([id] + plan.keyOwners.map(\.description)) {
                try await s.execute(
                    """
                    UPDATE requests SET sealed_details = NULL, verification_method = NULL, rejected_reason = NULL, extension_reason = NULL
                    WHERE subject_id = \(owner)
                    """)
            }
            try await s.execute(
                """
                UPDATE requests SET status = \(plan.requestStatus.rawValue), completed_at = \(now), receipt = \(plan.receipt), mac = \(plan.requestTag.map(bytea)),
                    subject_id = \((plan.requestSubject ?? plan.subjectID).description)
                WHERE request_id = \(request)
                """)
            try await self.appendAudit(s, [audit.draft], chain: audit.chain)
        }
    }

    /// After an erasure: VACUUM the tables it deleted from, so the dead tuples holding the
    /// erased wrapped keys and ciphertext are pruned now rather than at autovacuum's next
    /// visit. (WAL segments and backups still hold them: see docs/postgresql.md.)
    public func checkpoint() async throws {
        try await session { s in
            // held_values too: the retention sweep deletes expired held values (sealed under the
            // vault's legal-hold key, which is never destroyed) and checkpoints after it.
            for table in [
                "subjects", "field_values", "identifiers", "events", "event_totals", "consent_events", "source_records", "requests", "merges",
                "held_values",
            ] {
                try await s.execute(PostgresQuery(unsafeSQL: "VACUUM \(table)"))
            }
        }
    }

    public func heldValues(of subject: SubjectID) async throws -> [HeldValue] {
        try await session { s in
            try await s.rows("SELECT * FROM held_values WHERE subject_id = \(subject.description) ORDER BY field").map(Self.heldValue)
        }
    }

    public func allHeldValues() async throws -> [(subject: SubjectID, value: HeldValue)] {
        try await session { s in
            try await s.rows("SELECT * FROM held_values ORDER BY subject_id, field").map { row in
                guard let subject = SubjectID.stored(try row.get("subject_id", as: String.self)) else { throw StoreError.corrupt("held_values row") }
                return (subject, try Self.heldValue(row))
            }
        }
    }

    static func heldValue(_ row: PostgresRandomAccessRow) throws -> HeldValue {
        HeldValue(
            field: FieldName(try row.get("field", as: String.self)), category: try row.get("category"), basis: try row.get("basis"),
            until: try row.date("held_until"), ciphertext: try row.bytes("ciphertext"), mac: try row.optionalBytes("mac"))
    }

    static func insert(_ s: PostgresSession, _ notices: [OutboxNotice]) async throws {
        for n in notices {
            try await s.execute(
                """
                INSERT INTO outbox (notice_id, source, request_id, kind, subject_id, sealed_key, created_at, acked_at)
                VALUES (\(n.id.uuidString.lowercased()), \(n.source.rawValue), \(n.requestID.uuidString.lowercased()), \(n.kind.rawValue),
                        \(n.subjectID.description), \(n.sealedKey.map(bytea)), \(millis(n.createdAt)), NULL)
                """)
        }
    }

    public func insertNotices(_ notices: [OutboxNotice]) async throws {
        try await write { s in try await Self.insert(s, notices) }
    }

    static func notice(_ row: PostgresRandomAccessRow) throws -> OutboxNotice {
        guard let id = UUID(uuidString: try row.get("notice_id")), let source = SourceName(try row.get("source", as: String.self)),
            let request = UUID(uuidString: try row.get("request_id")), let subject = SubjectID(try row.get("subject_id", as: String.self))
        else { throw StoreError.corrupt("outbox row") }
        return OutboxNotice(
            id: id, source: source, requestID: request, kind: try storedEnum(try row.get("kind"), "outbox.kind"), subjectID: subject,
            sealedKey: try row.optionalBytes("sealed_key"), createdAt: try row.date("created_at"), ackedAt: try row.optionalDate("acked_at"))
    }

    public func outbox(source: SourceName, includeAcknowledged: Bool) async throws -> [OutboxNotice] {
        try await session { s in
            try await s.rows(
                """
                SELECT * FROM outbox WHERE source = \(source.rawValue) AND (\(includeAcknowledged) OR acked_at IS NULL) ORDER BY created_at, notice_id
                """
            ).map(Self.notice)
        }
    }

    public func outbox(request: UUID) async throws -> [OutboxNotice] {
        try await session { s in
            try await s.rows("SELECT * FROM outbox WHERE request_id = \(request.uuidString.lowercased()) ORDER BY source, notice_id").map(Self.notice)
        }
    }

    public func acknowledge(notice: UUID, source: SourceName, at time: Date, audit: AuditWrite) async throws -> Bool {
        try await write { s in
            // The source key is needed only until the source confirms: drop it then.
            let changed = try await s.execute(
                """
                UPDATE outbox SET acked_at = \(Self.millis(time)), sealed_key = NULL
                WHERE notice_id = \(notice.uuidString.lowercased()) AND source = \(source.rawValue) AND acked_at IS NULL
                """)
            guard changed > 0 else { return false }
            try await self.appendAudit(s, [audit.draft], chain: audit.chain)
            return true
        }
    }

    public func subjectExists(_ subject: SubjectID) async throws -> Bool {
        try await session { s in try await s.exists("SELECT 1 FROM subjects WHERE subject_id = \(subject.description)") }
    }

    public func restoreSuppressions(_ indexes: [[UInt8]], requestID: UUID, at time: Date) async throws -> Int {
        try await write { s in
            var restored = 0
            for index in indexes {
                restored += try await s.execute(
                    """
                    INSERT INTO suppressions (blind_index, request_id, created_at)
                    VALUES (\(bytea(index)), \(requestID.uuidString.lowercased()), \(Self.millis(time)))
                    ON CONFLICT (blind_index) DO NOTHING
                    """)
            }
            return restored
        }
    }

    public func complianceFigures() async throws -> ComplianceFigures {
        try await session { s in
            let row = try await s.row(
                """
                SELECT (SELECT COUNT(*) FROM suppressions) AS suppressions, (SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL) AS pending
                """)
            return ComplianceFigures(suppressions: try row?.get("suppressions", as: Int.self) ?? 0, pendingNotices: try row?.get("pending", as: Int.self) ?? 0)
        }
    }
}

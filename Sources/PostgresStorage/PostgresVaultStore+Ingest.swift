import Audit
import Foundation
import Identity
import PostgresNIO
import Storage
import VaultModel

extension PostgresVaultStore {
    /// Three statements for the whole batch (source keys, identifiers, data keys): one round trip
    /// per key or identifier was three per record, most of PostgreSQL ingest's time.
    public func resolutionSnapshot(source: SourceName, sourceKeys: [BlindIndex], identifiers: [BlindIndex]) async throws -> ResolutionSnapshot {
        try await read { s in
            var snapshot = ResolutionSnapshot()
            var subjects: Set<String> = []
            if !sourceKeys.isEmpty {
                for row in try await s.rows(
                    """
                    SELECT key_index, subject_id, mac FROM source_records
                    WHERE source = \(source.rawValue) AND key_index = ANY(\(Self.distinctBytea(sourceKeys)))
                    """)
                {
                    // Checked: a lookup by record key answers from these (identifier links below only
                    // guide the planner; the commit reads and checks them again).
                    let keyIndex = try row.bytes("key_index")
                    let subject = try Self.checkedRecordSubject(
                        source: source.rawValue, keyIndex: keyIndex, subject: try row.get("subject_id", as: String.self),
                        mac: try row.optionalBytes("mac"), self.rowTags)
                    snapshot.subjectBySourceKey[keyIndex] = subject
                    subjects.insert(subject.description)
                }
            }
            if !identifiers.isEmpty {
                var found: [[UInt8]: [SubjectID]] = [:]
                for row in try await s.rows(
                    """
                    SELECT DISTINCT blind_index, subject_id FROM identifiers WHERE blind_index = ANY(\(Self.distinctBytea(identifiers)))
                    """)
                {
                    let id = try row.get("subject_id", as: String.self)
                    if let subject = SubjectID(id) {
                        found[try row.bytes("blind_index"), default: []].append(subject)
                        subjects.insert(id)
                    }
                }
                for (index, ids) in found { snapshot.subjectsByIdentifier[index] = ids.sorted() }
            }
            if !subjects.isEmpty {
                for row in try await s.rows("SELECT subject_id, kek_version, wrapped_dek FROM subjects WHERE subject_id = ANY(\(Array(subjects)))") {
                    if let subject = SubjectID(try row.get("subject_id", as: String.self)) {
                        snapshot.wrappedKeys[subject] = WrappedKey(kekVersion: try row.get("kek_version", as: Int.self), bytes: try row.bytes("wrapped_dek"))
                    }
                }
            }
            return snapshot
        }
    }

    /// Blind indexes bound as one `bytea[]`, each once.
    static func distinctBytea(_ indexes: [BlindIndex]) -> [ByteBuffer] {
        var seen: Set<[UInt8]> = []
        return indexes.compactMap { seen.insert($0.bytes).inserted ? bytea($0.bytes) : nil }
    }

    public func commit(records: [SealedRecord], source: SourceName, at time: Date, audit: AuditWrite) async throws -> [IngestOutcome] {
        try await write { s in
            // Most vaults have erased nobody yet, or few: one probe per batch spares three per record.
            let anySuppressed = try await s.exists("SELECT 1 FROM suppressions LIMIT 1")
            var outcomes: [IngestOutcome] = []
            for record in records {
                outcomes.append(
                    try await Self.commit(s, record: record, source: source, at: time, checkSuppressions: anySuppressed, headers: self.rowTags))
            }
            var draft = audit.draft
            draft.subjectIDs = Array(Set(outcomes.filter { $0.kind != .suppressed }.map(\.subjectID.description))).sorted()
            let suppressed = outcomes.filter { $0.kind == .suppressed }.count
            if suppressed > 0 { draft.detail = (draft.detail ?? "") + ", \(suppressed) suppressed" }
            try await self.appendAudit(s, [draft], chain: audit.chain)
            return outcomes
        }
    }

    /// Resolves and stores one record inside the batch transaction: reads what `SubjectMatcher`
    /// decides on (mostly in one round trip), then applies its plan.
    static func commit(
        _ s: PostgresSession, record: SealedRecord, source: SourceName, at time: Date, checkSuppressions: Bool, headers: StoreRowTags
    ) async throws -> IngestOutcome {
        let reads = try await matchReads(s, record: record, source: source, checkSuppressions: checkSuppressions, headers: headers)
        guard let plan = try SubjectMatcher.plan(record.matchRecord, reads).planToApply() else { return .suppressed }
        try await apply(s, plan, record: record, source: source, at: millis(time), headers: headers)
        return plan.outcome
    }

    /// What the matcher decides on, read in the write transaction: `RecordProbeStatement`, then
    /// only when needed the canonical subject of a merged-away owner or an attached subject,
    /// and the creation and restriction of the candidates of a merge.
    static func matchReads(
        _ s: PostgresSession, record: SealedRecord, source: SourceName, checkSuppressions: Bool, headers: StoreRowTags
    ) async throws -> MatchReads {
        let owner = record.keyOwner.description
        let probe = try await s.rows(
            RecordProbeStatement(
                source: source.rawValue, keyIndex: record.keyIndex.bytes,
                identifiers: record.identifiers.map(\.index.bytes), owner: owner,
                checkSuppressions: checkSuppressions))[0]
        var reads = MatchReads()
        if try probe.get("suppressed", as: Bool.self) {
            reads.suppressed = true
            return reads
        }
        if let recordID = try probe.get("record_id", as: Int64?.self) {
            let subject = try checkedRecordSubject(
                source: source.rawValue, keyIndex: record.keyIndex.bytes, subject: try probe.get("subject_id", as: String.self),
                mac: try probe.optionalBytes("record_mac"), headers)
            let fields = try probe.get("stored_fields", as: [String].self)
            let times = try probe.get("stored_at", as: [Int64].self)
            reads.existing = .init(
                recordID: recordID, subject: subject,
                observedAt: Dictionary(zip(fields.map { FieldName($0) }, times), uniquingKeysWith: max))
        }
        if let attached = record.attachedTo {
            reads.attachment = try await canonical(s, attached, headers).map { .to($0) } ?? .gone
        }
        reads.identifierMatches = try checkedProbeMatches(probe, headers)
        // nil: the planned owner is gone (erased meanwhile); false: it was merged away.
        if record.newSubject == nil, let survives = try probe.get("owner_survives", as: Bool?.self),
            try probe.bytes("owner_key") == record.sealedUnder
        {
            if survives {
                try checkedHeader(
                    record.keyOwner, mergedInto: nil, restricted: try probe.get("owner_restricted", as: Bool.self), mac: try probe.optionalBytes("owner_mac"),
                    headers)
                reads.owner = .holdsKey(canonical: record.keyOwner)
            } else if let canonical = try await canonical(s, record.keyOwner, headers) {
                reads.owner = .holdsKey(canonical: canonical)
            }
        }
        let candidates = SubjectMatcher.candidates(reads)
        if candidates.count > 1 {
            for row in try await s.rows(
                "SELECT subject_id, created_at, merged_into, restricted, mac FROM subjects WHERE subject_id = ANY(\(candidates.map(\.description)))")
            {
                let header = try checkedHeader(row, headers)
                reads.subjects[header.id] = SubjectFacts(createdAt: try row.get("created_at"), restricted: header.restricted)
            }
        }
        return reads
    }

    /// Writes what the matcher decided, in the plan's order.
    static func apply(
        _ s: PostgresSession, _ plan: MergePlan, record: SealedRecord, source: SourceName, at now: Int64, headers: StoreRowTags
    ) async throws {
        let target = plan.target.description
        let owner = record.keyOwner.description
        // A minted subject goes in with its record's statement unless something refers to it first.
        let subjectWithRecord = record.newSubject != nil && plan.keyAliasOf == nil && plan.record == .insert
        if let new = record.newSubject, !subjectWithRecord { try await insertSubject(s, new, at: now, headers: headers) }
        for loserID in plan.mergedLosers {
            let loser = loserID.description
            let moved = try await s.column("SELECT record_id FROM source_records WHERE subject_id = \(loser)", as: Int64.self)
            try await moveLinks(s, from: loserID, to: plan.target, headers)
            for table in ["field_values", "events", "event_totals", "consent_events"] {
                try await s.execute("UPDATE \(unescaped: table) SET subject_id = \(target) WHERE subject_id = \(loser)")
            }
            // The loser and whatever was merged into it now point at the target, each header
            // checked before it is re-tagged.
            for header in try await Self.headers(mergedOrIn: loserID, s, headers) {
                try await writeHeader(s, SubjectHeader(id: header.id, mergedInto: plan.target, restricted: header.restricted), headers)
            }
            try await s.execute(
                """
                INSERT INTO merges (winner, loser, kind, merged_at, record_ids) VALUES (\(target), \(loser), 'identity', \(now), \(MergePlan.lineage(moved)))
                """)
        }
        if plan.restrictTarget {
            try await writeHeader(s, SubjectHeader(id: plan.target, mergedInto: nil, restricted: true), headers)
        }
        if let aliasID = plan.keyAliasOf {
            let alias = aliasID.description
            try await writeHeader(s, SubjectHeader(id: aliasID, mergedInto: plan.target, restricted: false), headers)
            try await s.execute(
                """
                INSERT INTO merges (winner, loser, kind, merged_at, record_ids) VALUES (\(target), \(alias), 'key_alias', \(now), '[]')
                """)
        }

        guard case .update(let recordID, let movesFrom) = plan.record else {
            // A new record: its subject (if minted and not aliased above), the record, its values
            // and identifiers in one statement. Every value is new, so every identifier follows.
            _ = try await s.rows(
                NewRecordStatement(
                    record: record, source: source.rawValue, target: target, owner: owner,
                    newSubject: subjectWithRecord ? record.newSubject : nil,
                    newSubjectMac: subjectWithRecord
                        ? record.newSubject.flatMap { headers.tag(SubjectHeader(id: $0.id, mergedInto: nil, restricted: false)) } : nil,
                    recordMac: headers.tag(RecordLink(source: source.rawValue, keyIndex: record.keyIndex.bytes, subject: plan.target)),
                    identifierMacs: record.identifiers.map { headers.tag(identifierLink($0, of: record, source: source, to: plan.target)) ?? [] },
                    now: now,
                    observed: millis(record.observedAt)))
            return
        }
        try await s.execute(
            """
            UPDATE source_records SET subject_id = \(target), key_owner = \(owner), key_ciphertext = \(bytea(record.keyCiphertext)),
                updated_at = \(now), mac = \(headers.tag(RecordLink(source: source.rawValue, keyIndex: record.keyIndex.bytes, subject: plan.target)).map(bytea))
            WHERE record_id = \(recordID)
            """)
        if movesFrom != nil {
            for table in ["field_values", "events", "event_totals"] {
                try await s.execute("UPDATE \(unescaped: table) SET subject_id = \(target) WHERE record_id = \(recordID)")
            }
            try await relinkIdentifiers(
                s,
                query:
                    "\(unescaped: identifierLinkColumns) FROM identifiers i JOIN source_records r ON r.record_id = i.record_id WHERE i.record_id = \(recordID)",
                to: plan.target, headers)
        }
        // The written fields in one statement, their identifiers in another.
        let observed = millis(record.observedAt)
        let fields = record.fields.filter { plan.writtenFields.contains($0.field) }
        if !fields.isEmpty {
            let names = fields.map(\.field.rawValue)
            let ciphertexts = fields.map { bytea($0.ciphertext) }
            try await s.execute(
                """
                INSERT INTO field_values (record_id, field, subject_id, key_owner, observed_at, ciphertext)
                SELECT \(recordID), f, \(target), \(owner), \(observed), c FROM unnest(\(names)::text[], \(ciphertexts)::bytea[]) AS t(f, c)
                ON CONFLICT (record_id, field) DO UPDATE SET subject_id = EXCLUDED.subject_id, key_owner = EXCLUDED.key_owner,
                    observed_at = EXCLUDED.observed_at, ciphertext = EXCLUDED.ciphertext
                """)
        }
        let identifiers = record.identifiers.filter { plan.writtenFields.contains($0.field) }
        if !identifiers.isEmpty {
            let fields = identifiers.map(\.field.rawValue)
            let versions = identifiers.map(\.index.version)
            let indexes = identifiers.map { bytea($0.index.bytes) }
            let macs = identifiers.map { bytea(headers.tag(identifierLink($0, of: record, source: source, to: plan.target)) ?? []) }
            try await s.execute(
                """
                INSERT INTO identifiers (record_id, field, bi_version, blind_index, subject_id, mac)
                SELECT \(recordID), f, v, b, \(target), NULLIF(m, ''::bytea)
                FROM unnest(\(fields)::text[], \(versions)::bigint[], \(indexes)::bytea[], \(macs)::bytea[]) AS t(f, v, b, m)
                ON CONFLICT (record_id, field) DO UPDATE SET bi_version = EXCLUDED.bi_version, blind_index = EXCLUDED.blind_index,
                    subject_id = EXCLUDED.subject_id, mac = EXCLUDED.mac
                """)
        }
    }

    static func identifierLink(_ identifier: IdentifierIndex, of record: SealedRecord, source: SourceName, to subject: SubjectID) -> IdentifierLink {
        IdentifierLink(
            source: source.rawValue, keyIndex: record.keyIndex.bytes, field: identifier.field.rawValue, blindIndex: identifier.index, subject: subject)
    }

    static func insertSubject(_ s: PostgresSession, _ new: NewSubject, at now: Int64, headers: StoreRowTags) async throws {
        let mac = headers.tag(SubjectHeader(id: new.id, mergedInto: nil, restricted: false))
        try await s.execute(
            """
            INSERT INTO subjects (subject_id, kek_version, wrapped_dek, created_at, mac)
            VALUES (\(new.id.description), \(new.wrappedKey.kekVersion), \(bytea(new.wrappedKey.bytes)), \(now), \(mac.map(bytea)))
            """)
    }

    /// Whether `owner` still exists and holds the wrapped data key a write was sealed under
    /// (see the SQLite store's `holdsKey`).
    static func holdsKey(_ s: PostgresSession, _ owner: SubjectID, _ sealedUnder: [UInt8]) async throws -> Bool {
        guard let row = try await s.row("SELECT wrapped_dek FROM subjects WHERE subject_id = \(owner.description)") else { return false }
        return try row.bytes("wrapped_dek") == sealedUnder
    }

    public func commit(events: [SealedEvent], source: SourceName, audit: AuditWrite, totals: EventTotalsFold) async throws -> [EventOutcomeKind] {
        try await write { s in
            var subjects: Set<String> = []
            var added: [EventTotalsGroup: (subject: String, indexes: [Int])] = [:]
            var outcomes: [EventOutcomeKind] = []
            for (index, event) in events.enumerated() {
                guard
                    let record = try await s.row(
                        """
                        SELECT record_id, subject_id, mac FROM source_records
                        WHERE source = \(source.rawValue) AND key_index = \(bytea(event.recordKeyIndex.bytes))
                        """)
                else { throw StoreError.unknownSourceKey(index: index) }
                try Self.checkedRecordSubject(
                    source: source.rawValue, keyIndex: event.recordKeyIndex.bytes, subject: try record.get("subject_id", as: String.self),
                    mac: try record.optionalBytes("mac"), self.rowTags)
                guard try await Self.holdsKey(s, event.keyOwner, event.sealedUnder) else { throw StoreError.staleResolution }
                let subject = try record.get("subject_id", as: String.self)
                if event.keyOwner.description != subject, try await Self.canonical(s, event.keyOwner, self.rowTags)?.description != subject {
                    throw StoreError.staleResolution  // sealed for the record's earlier subject (see the SQLite store)
                }
                let recordID = try record.get("record_id", as: Int64.self)
                let inserted = try await s.execute(
                    """
                    INSERT INTO events (source, event_index, record_id, subject_id, key_owner, type, occurred_at, ciphertext)
                    VALUES (\(source.rawValue), \(bytea(event.eventIndex.bytes)), \(recordID), \(subject),
                            \(event.keyOwner.description), \(event.type), \(Self.millis(event.occurredAt)), \(bytea(event.ciphertext)))
                    ON CONFLICT (source, event_index) DO NOTHING
                    """)
                subjects.insert(subject)
                outcomes.append(inserted > 0 ? .created : .duplicate)
                if inserted > 0 { added[EventTotalsGroup(recordID: recordID, keyOwner: event.keyOwner), default: (subject, [])].indexes.append(index) }
            }
            try await Self.foldTotals(s, added: added, fold: totals)
            var draft = audit.draft
            draft.subjectIDs = subjects.sorted()
            try await self.appendAudit(s, [draft], chain: audit.chain)
            return outcomes
        }
    }
}

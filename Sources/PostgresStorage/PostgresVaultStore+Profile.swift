import Foundation
import PostgresNIO
import Storage
import VaultModel

extension PostgresVaultStore {
    /// The sealed profile of `id`, or of the subject it was merged into.
    ///
    /// One statement (`ProfileStatement`) returns the subject row, its values, sources,
    /// events, consents and the data keys of every key owner: one round trip, and one
    /// snapshot, since a single statement sees one. A merged-away id first walks to the survivor.
    public func sealedProfile(of id: SubjectID, events: ProfileEvents) async throws -> SealedProfile? {
        if let profile = try await session({ try await Self.profile($0, id, events: events, self.rowTags) }) { return profile }
        return try await read { s in
            guard let canonical = try await Self.canonical(s, id, self.rowTags), canonical != id else { return nil }
            return try await Self.profile(s, canonical, events: events, self.rowTags)
        }
    }

    /// Nil when `id` is not a surviving subject.
    static func profile(_ s: PostgresSession, _ id: SubjectID, events eventsRead: ProfileEvents, _ headers: StoreRowTags) async throws -> SealedProfile? {
        let rows = try await s.rows(ProfileStatement(subject: id.description, allEvents: eventsRead == .all))
        guard let head = rows.first(where: { (try? $0.get("kind", as: Int.self)) == 0 }) else { return nil }
        var fields: [StoredFieldValue] = []
        var events: [(seq: Int64, event: StoredEvent)] = []
        var consents: [StoredConsent] = []
        var totals: [StoredEventTotals] = []
        var sources: Set<SourceName> = []
        var owners: Set<SubjectID> = [id]
        var keys: [SubjectID: WrappedKey] = [:]
        var mergedInto: [SubjectID: String] = [:]
        var restricted: Bool?
        for row in rows {
            let kind = try row.get("kind", as: Int.self)
            switch kind {
            case 6:
                guard let owner = SubjectID(try row.get("owner", as: String.self)) else { throw StoreError.corrupt("key_owner") }
                owners.insert(owner)
                totals.append(
                    StoredEventTotals(group: EventTotalsGroup(recordID: try row.get("seq"), keyOwner: owner), ciphertext: try row.optionalBytes("data")))
            case 1, 3, 4:
                guard let owner = SubjectID(try row.get("owner", as: String.self)) else { throw StoreError.corrupt("key_owner") }
                owners.insert(owner)
                let at = try row.date("at")
                let data = try row.bytes("data")
                if kind == 1 {
                    guard let source = SourceName(try row.get("source", as: String.self)) else { throw StoreError.corrupt("field_values row") }
                    sources.insert(source)
                    fields.append(
                        StoredFieldValue(
                            field: FieldName(try row.get("name", as: String.self)), source: source, keyOwner: owner,
                            observedAt: at, ciphertext: data))
                } else if kind == 3 {
                    guard let source = SourceName(try row.get("source", as: String.self)) else { throw StoreError.corrupt("events row") }
                    events.append(
                        (try row.get("seq"), StoredEvent(source: source, keyOwner: owner, type: try row.get("name"), occurredAt: at, ciphertext: data)))
                } else {
                    consents.append(
                        StoredConsent(
                            sequence: try row.get("seq"), keyOwner: owner, purpose: try row.get("name"),
                            status: try row.get("status"), lawfulBasis: try row.get("basis"),
                            jurisdiction: try row.get("jurisdiction", as: String?.self), occurredAt: at,
                            expiresAt: try row.optionalDate("expires"), recordedAt: try row.date("recorded"),
                            recordedBy: try row.get("recorded_by"), ciphertext: data))
                }
            case 2:
                if let source = SourceName(try row.get("source", as: String.self)) { sources.insert(source) }
            case 5:
                guard let owner = SubjectID(try row.get("name", as: String.self)) else { throw StoreError.corrupt("subjects row") }
                keys[owner] = WrappedKey(kekVersion: try row.get("kek", as: Int.self), bytes: try row.bytes("data"))
                mergedInto[owner] = try row.get("merged_into", as: String?.self)
                // Every key owner's header is checked: the survivor's restriction, and that each
                // other owner really was merged into it.
                let header = try checkedHeader(
                    owner, mergedInto: mergedInto[owner] ?? nil, restricted: try row.get("restricted", as: Bool.self), mac: try row.optionalBytes("mac"),
                    headers)
                if owner == id { restricted = header.restricted }
            default:
                continue
            }
        }
        guard owners.allSatisfy({ keys[$0] != nil }) else { throw StoreError.corrupt("missing data key of a key owner") }
        // A value sealed by another subject belongs here only if that subject was merged into this
        // one (merges point every merged-away subject straight at the survivor); otherwise a row
        // was moved between people, which decryption alone would not notice.
        for owner in owners where owner != id && mergedInto[owner] != id.description {
            if try await canonical(s, owner, headers) != id { throw StoreError.corrupt("a stored value is sealed for another subject") }
        }
        guard let restricted else { throw StoreError.corrupt("subjects row") }
        events.sort { $0.event.occurredAt != $1.event.occurredAt ? $0.event.occurredAt > $1.event.occurredAt : $0.seq > $1.seq }
        consents.sort { $0.sequence < $1.sequence }
        return SealedProfile(
            subjectID: id, createdAt: try head.date("at"), restricted: restricted,
            keys: keys.filter { owners.contains($0.key) }, fields: fields, events: events.map(\.event), eventsRead: eventsRead, totals: totals,
            consents: consents, sources: sources.sorted())
    }
}

/// Everything a profile read needs, as one named prepared statement. Rows by `kind`: 0 the
/// subject (only if it survives), 1 field values, 2 sources, 3 events (with `$2`, or while some
/// group's totals are pending), 4 consents, 5 data keys, 6 event totals.
struct ProfileStatement: PostgresPreparedStatement {
    static let sql = """
        WITH subject AS (
            SELECT created_at, restricted FROM subjects WHERE subject_id = $1 AND merged_into IS NULL
        ), items AS (
            SELECT 1 AS kind, f.field AS name, r.source AS source, f.key_owner AS owner, f.observed_at AS at, f.ciphertext AS data,
                   NULL::bigint AS seq, NULL::text AS status, NULL::text AS basis, NULL::text AS jurisdiction,
                   NULL::bigint AS expires, NULL::bigint AS recorded, NULL::text AS recorded_by
            FROM field_values f JOIN source_records r ON r.record_id = f.record_id WHERE f.subject_id = $1
            UNION ALL
            SELECT DISTINCT 2, NULL::text, source, NULL::text, NULL::bigint, NULL::bytea, NULL::bigint, NULL::text, NULL::text, NULL::text,
                   NULL::bigint, NULL::bigint, NULL::text
            FROM source_records WHERE subject_id = $1
            UNION ALL
            SELECT 3, type, source, key_owner, occurred_at, ciphertext, event_row, NULL::text, NULL::text, NULL::text,
                   NULL::bigint, NULL::bigint, NULL::text
            FROM events WHERE subject_id = $1
                AND ($2 OR EXISTS (SELECT 1 FROM event_totals WHERE subject_id = $1 AND ciphertext IS NULL))
            UNION ALL
            SELECT 6, NULL::text, NULL::text, key_owner, NULL::bigint, ciphertext, record_id, NULL::text, NULL::text, NULL::text,
                   NULL::bigint, NULL::bigint, NULL::text
            FROM event_totals WHERE subject_id = $1
            UNION ALL
            SELECT 4, purpose, NULL::text, key_owner, occurred_at, ciphertext, event_row, status, lawful_basis, jurisdiction,
                   expires_at, recorded_at, recorded_by
            FROM consent_events WHERE subject_id = $1
        )
        SELECT 0 AS kind, NULL::text AS name, NULL::text AS source, NULL::text AS owner, created_at AS at, NULL::bytea AS data,
               NULL::bigint AS seq, NULL::text AS status, NULL::text AS basis, NULL::text AS jurisdiction, NULL::bigint AS expires,
               NULL::bigint AS recorded, NULL::text AS recorded_by, restricted, NULL::bigint AS kek, NULL::text AS merged_into,
               NULL::bytea AS mac
        FROM subject
        UNION ALL
        SELECT kind, name, source, owner, at, data, seq, status, basis, jurisdiction, expires, recorded, recorded_by,
               NULL::boolean, NULL::bigint, NULL::text, NULL::bytea
        FROM items WHERE EXISTS (SELECT 1 FROM subject)
        UNION ALL
        SELECT 5, s.subject_id, NULL::text, NULL::text, NULL::bigint, s.wrapped_dek, NULL::bigint, NULL::text, NULL::text, NULL::text,
               NULL::bigint, NULL::bigint, NULL::text, s.restricted, s.kek_version, s.merged_into, s.mac
        FROM subjects s
        WHERE EXISTS (SELECT 1 FROM subject) AND s.subject_id = ANY (ARRAY(SELECT owner FROM items WHERE owner IS NOT NULL) || $1)
        """
    static var bindingDataTypes: [PostgresDataType] { [.text, .bool] }
    let subject: String
    let allEvents: Bool

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(subject)
        bindings.append(allEvents)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRandomAccessRow { row.makeRandomAccess() }
}

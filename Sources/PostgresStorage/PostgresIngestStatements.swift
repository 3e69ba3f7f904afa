import Identity
import PostgresNIO
import Storage

// The two statements every ingested record runs, as named prepared statements: parsed and
// planned once per connection. As plain queries, PostgreSQL spent most of its time on a
// record parsing and planning them again (`base_yyparse`, `copyObjectImpl` in its profile).

/// Everything the resolution of one record reads, in one round trip: the record already held
/// under this source key (LEFT JOIN: one row either way) with its link's tag, every identifier
/// link sharing one of its identifiers (with what its tag covers), whether the planned key owner still exists (NULL) and survives (not merged
/// away), the owner's wrapped data key (to compare with the one the plan sealed under), and
/// whether any of its blind indexes belongs to an erased person, and the observation time of
/// each value the record holds.
struct RecordProbeStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT r.record_id, r.subject_id, r.mac AS record_mac, m.m_source, m.m_key, m.m_field, m.m_version, m.m_index, m.m_subject, m.m_mac,
               (SELECT merged_into IS NULL FROM subjects WHERE subject_id = $4) AS owner_survives,
               (SELECT restricted FROM subjects WHERE subject_id = $4) AS owner_restricted,
               (SELECT mac FROM subjects WHERE subject_id = $4) AS owner_mac,
               (SELECT wrapped_dek FROM subjects WHERE subject_id = $4) AS owner_key,
               $5 AND EXISTS (SELECT 1 FROM suppressions WHERE blind_index = ANY($6)) AS suppressed,
               ARRAY(SELECT field FROM field_values WHERE record_id = r.record_id ORDER BY field) AS stored_fields,
               ARRAY(SELECT observed_at FROM field_values WHERE record_id = r.record_id ORDER BY field) AS stored_at
        FROM (SELECT 1) AS one LEFT JOIN source_records r ON r.source = $1 AND r.key_index = $2
        LEFT JOIN LATERAL (
            SELECT array_agg(l.source ORDER BY i.record_id, i.field) AS m_source, array_agg(l.key_index ORDER BY i.record_id, i.field) AS m_key,
                   array_agg(i.field ORDER BY i.record_id, i.field) AS m_field, array_agg(i.bi_version ORDER BY i.record_id, i.field) AS m_version,
                   array_agg(i.blind_index ORDER BY i.record_id, i.field) AS m_index, array_agg(i.subject_id ORDER BY i.record_id, i.field) AS m_subject,
                   array_agg(COALESCE(i.mac, ''::bytea) ORDER BY i.record_id, i.field) AS m_mac
            FROM identifiers i JOIN source_records l ON l.record_id = i.record_id WHERE i.blind_index = ANY($3)
        ) m ON TRUE
        """
    static var bindingDataTypes: [PostgresDataType] { [.text, .bytea, .byteaArray, .text, .bool, .byteaArray] }

    let source: String
    let keyIndex: [UInt8]
    let identifiers: [[UInt8]]
    let owner: String
    let checkSuppressions: Bool

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(source)
        bindings.append(bytea(keyIndex))
        bindings.append(identifiers.map(bytea))
        bindings.append(owner)
        bindings.append(checkSuppressions)
        bindings.append(([keyIndex] + identifiers).map(bytea))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRandomAccessRow { row.makeRandomAccess() }
}

/// A record seen for the first time: its newly minted subject (when `$1` is not NULL), the
/// record, its values and its identifiers, in one statement. Every value of a new record is
/// new, so every identifier follows its value (no observation-time comparison to make).
struct NewRecordStatement: PostgresPreparedStatement {
    static let sql = """
        WITH subject AS (
            INSERT INTO subjects (subject_id, kek_version, wrapped_dek, created_at, mac)
            SELECT $1, $2, $3, $4, $17 WHERE $1 IS NOT NULL
        ), record AS (
            INSERT INTO source_records (source, key_index, bi_version, subject_id, key_owner, key_ciphertext, first_seen_at, updated_at, mac)
            VALUES ($5, $6, $7, $8, $9, $10, $4, $4, $18)
            RETURNING record_id
        ), fields AS (
            INSERT INTO field_values (record_id, field, subject_id, key_owner, observed_at, ciphertext)
            SELECT record.record_id, f, $8, $9, $13, c FROM record, unnest($11::text[], $12::bytea[]) AS t(f, c)
        )
        INSERT INTO identifiers (record_id, field, bi_version, blind_index, subject_id, mac)
        SELECT record.record_id, f, v, b, $8, NULLIF(m, ''::bytea) FROM record, unnest($14::text[], $15::bigint[], $16::bytea[], $19::bytea[]) AS t(f, v, b, m)
        """
    static var bindingDataTypes: [PostgresDataType] {
        [
            .text, .int8, .bytea, .int8, .text, .bytea, .int8, .text, .text, .bytea, .textArray, .byteaArray, .int8, .textArray, .int8Array, .byteaArray,
            .bytea, .bytea, .byteaArray,
        ]
    }

    let record: SealedRecord
    let source: String
    let target: String
    let owner: String
    /// Inserted with the record, or nil when the subject exists already.
    let newSubject: NewSubject?
    /// The new subject's header tag (`StoreRowTags`).
    let newSubjectMac: [UInt8]?
    /// The record link's tag and each identifier link's, in `record.identifiers` order (an empty
    /// one is stored as NULL: before the vault set its key, nothing is tagged).
    let recordMac: [UInt8]?
    let identifierMacs: [[UInt8]]
    let now: Int64
    let observed: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(newSubject?.id.description)
        bindings.append(newSubject?.wrappedKey.kekVersion)
        bindings.append(newSubject.map { bytea($0.wrappedKey.bytes) })
        bindings.append(now)
        bindings.append(source)
        bindings.append(bytea(record.keyIndex.bytes))
        bindings.append(record.keyIndex.version)
        bindings.append(target)
        bindings.append(owner)
        bindings.append(bytea(record.keyCiphertext))
        bindings.append(record.fields.map(\.field.rawValue))
        bindings.append(record.fields.map { bytea($0.ciphertext) })
        bindings.append(observed)
        bindings.append(record.identifiers.map(\.field.rawValue))
        bindings.append(record.identifiers.map(\.index.version))
        bindings.append(record.identifiers.map { bytea($0.index.bytes) })
        bindings.append(newSubjectMac.map(bytea))
        bindings.append(recordMac.map(bytea))
        bindings.append(identifierMacs.map(bytea))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRandomAccessRow { row.makeRandomAccess() }
}

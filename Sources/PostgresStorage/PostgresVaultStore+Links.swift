import Foundation
import Identity
import PostgresNIO
import Storage
import VaultModel

/// Source records and identifiers link records and identifiers to people: each row carries a
/// tag (`RecordLink`, `IdentifierLink`), written with the row and checked where it is read.
extension PostgresVaultStore {
    /// The subject of a `source_records` row, checked against its tag.
    @discardableResult
    static func checkedRecordSubject(source: String, keyIndex: [UInt8], subject text: String?, mac: [UInt8]?, _ tags: StoreRowTags) throws -> SubjectID {
        guard let subject = text.flatMap(SubjectID.stored) else { throw StoreError.corrupt("source_records row") }
        try tags.check(RecordLink(source: source, keyIndex: keyIndex, subject: subject), mac: mac)
        return subject
    }

    /// The identifier link of a row with `source`, `key_index`, `field`, `bi_version`, `blind_index`,
    /// `subject_id` and `mac` (identifiers joined with their record), checked.
    static func checkedIdentifierLink(_ row: PostgresRandomAccessRow, _ tags: StoreRowTags) throws -> IdentifierLink {
        guard let subject = SubjectID.stored(try row.get("subject_id", as: String.self)) else { throw StoreError.corrupt("identifiers row") }
        let link = IdentifierLink(
            source: try row.get("source"), keyIndex: try row.bytes("key_index"), field: try row.get("field"),
            blindIndex: BlindIndex(version: try row.get("bi_version", as: Int.self), bytes: try row.bytes("blind_index")), subject: subject)
        return try tags.check(link, mac: try row.optionalBytes("mac"))
    }

    static let identifierLinkColumns = "SELECT r.source, r.key_index, i.record_id, i.field, i.bi_version, i.blind_index, i.subject_id, i.mac"

    /// The identifier links of a probe row's `m_*` arrays (`RecordProbeStatement`), each checked.
    static func checkedProbeMatches(_ probe: PostgresRandomAccessRow, _ tags: StoreRowTags) throws -> [SubjectID] {
        guard let sources = try probe.get("m_source", as: [String]?.self) else { return [] }
        let keys = try probe.get("m_key", as: [ByteBuffer].self)
        let fields = try probe.get("m_field", as: [String].self)
        let versions = try probe.get("m_version", as: [Int].self)
        let indexes = try probe.get("m_index", as: [ByteBuffer].self)
        let subjects = try probe.get("m_subject", as: [String].self)
        let macs = try probe.get("m_mac", as: [ByteBuffer].self)  // an untagged row's as empty
        guard [keys.count, fields.count, versions.count, indexes.count, subjects.count, macs.count].allSatisfy({ $0 == sources.count }) else {
            throw StoreError.corrupt("identifiers rows")
        }
        var found: [SubjectID] = []
        for i in sources.indices {
            guard let subject = SubjectID.stored(subjects[i]) else { throw StoreError.corrupt("identifiers row") }
            let link = IdentifierLink(
                source: sources[i], keyIndex: Array(buffer: keys[i]), field: fields[i],
                blindIndex: BlindIndex(version: versions[i], bytes: Array(buffer: indexes[i])), subject: subject)
            try tags.check(link, mac: macs[i].readableBytes == 0 ? nil : Array(buffer: macs[i]))
            if !found.contains(subject) { found.append(subject) }
        }
        return found
    }

    /// Re-links every record and identifier of `loser` to `target` (a merge), each row checked
    /// before it is re-tagged; two statements write them all.
    static func moveLinks(_ s: PostgresSession, from loser: SubjectID, to target: SubjectID, _ tags: StoreRowTags) async throws {
        var recordIDs: [Int64] = []
        var recordMacs: [ByteBuffer] = []
        for row in try await s.rows("SELECT record_id, source, key_index, subject_id, mac FROM source_records WHERE subject_id = \(loser.description)") {
            let source = try row.get("source", as: String.self)
            let keyIndex = try row.bytes("key_index")
            try checkedRecordSubject(source: source, keyIndex: keyIndex, subject: try row.get("subject_id"), mac: try row.optionalBytes("mac"), tags)
            recordIDs.append(try row.get("record_id"))
            recordMacs.append(bytea(tags.tag(RecordLink(source: source, keyIndex: keyIndex, subject: target)) ?? []))
        }
        guard !recordIDs.isEmpty else { return }
        try await s.execute(
            """
            UPDATE source_records s SET subject_id = \(target.description), mac = NULLIF(t.m, ''::bytea)
            FROM unnest(\(recordIDs)::bigint[], \(recordMacs)::bytea[]) AS t(id, m) WHERE s.record_id = t.id
            """)
        try await relinkIdentifiers(
            s,
            query:
                "\(unescaped: identifierLinkColumns) FROM identifiers i JOIN source_records r ON r.record_id = i.record_id WHERE i.subject_id = \(loser.description)",
            to: target, tags)
    }

    /// Moves the identifier links `query` selects (`identifierLinkColumns`) to `target`, each
    /// checked, skipping those already there.
    static func relinkIdentifiers(_ s: PostgresSession, query: PostgresQuery, to target: SubjectID, _ tags: StoreRowTags) async throws {
        var records: [Int64] = []
        var fields: [String] = []
        var macs: [ByteBuffer] = []
        for row in try await s.rows(query) {
            let link = try checkedIdentifierLink(row, tags)
            if link.subject == target { continue }
            records.append(try row.get("record_id"))
            fields.append(link.field)
            let moved = IdentifierLink(source: link.source, keyIndex: link.keyIndex, field: link.field, blindIndex: link.blindIndex, subject: target)
            macs.append(bytea(tags.tag(moved) ?? []))
        }
        guard !records.isEmpty else { return }
        try await s.execute(
            """
            UPDATE identifiers i SET subject_id = \(target.description), mac = NULLIF(t.m, ''::bytea)
            FROM unnest(\(records)::bigint[], \(fields)::text[], \(macs)::bytea[]) AS t(id, f, m) WHERE i.record_id = t.id AND i.field = t.f
            """)
    }

    /// Tags every untagged record and identifier link (the once-per-vault upgrade).
    static func tagUntaggedLinks(_ s: PostgresSession, _ tags: StoreRowTags) async throws -> Int {
        var count = 0
        for row in try await s.rows("SELECT record_id, source, key_index, subject_id FROM source_records WHERE mac IS NULL") {
            guard let subject = SubjectID(try row.get("subject_id", as: String.self)) else { throw StoreError.corrupt("source_records row") }
            let link = RecordLink(source: try row.get("source"), keyIndex: try row.bytes("key_index"), subject: subject)
            try await s.execute("UPDATE source_records SET mac = \(tags.tag(link).map(bytea)) WHERE record_id = \(try row.get("record_id", as: Int64.self))")
            count += 1
        }
        for row in try await s.rows(
            "\(unescaped: identifierLinkColumns) FROM identifiers i JOIN source_records r ON r.record_id = i.record_id WHERE i.mac IS NULL")
        {
            guard let subject = SubjectID(try row.get("subject_id", as: String.self)) else { throw StoreError.corrupt("identifiers row") }
            let link = IdentifierLink(
                source: try row.get("source"), keyIndex: try row.bytes("key_index"), field: try row.get("field"),
                blindIndex: BlindIndex(version: try row.get("bi_version", as: Int.self), bytes: try row.bytes("blind_index")), subject: subject)
            try await s.execute(
                """
                UPDATE identifiers SET mac = \(tags.tag(link).map(bytea))
                WHERE record_id = \(try row.get("record_id", as: Int64.self)) AND field = \(link.field)
                """)
            count += 1
        }
        for row in try await s.rows("SELECT subject_id, field, category, basis, held_until FROM held_values WHERE mac IS NULL") {
            guard let subject = SubjectID(try row.get("subject_id", as: String.self)) else { throw StoreError.corrupt("held_values row") }
            let value = HeldValueRow(
                subject: subject, field: try row.get("field"), category: try row.get("category"), basis: try row.get("basis"),
                untilMillis: try row.get("held_until"))
            try await s.execute(
                "UPDATE held_values SET mac = \(tags.tag(value).map(bytea)) WHERE subject_id = \(subject.description) AND field = \(value.field)")
            count += 1
        }
        return count
    }
}

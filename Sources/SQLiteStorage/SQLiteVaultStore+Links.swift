import Foundation
import GRDB
import Identity
import Storage
import VaultModel

/// Source records and identifiers link records and identifiers to people: each row carries a
/// tag (`RecordLink`, `IdentifierLink`), written with the row and checked where it is read.
extension SQLiteVaultStore {
    /// The subject of a `source_records` row, checked against its tag.
    static func checkedRecordSubject(source: String, keyIndex: [UInt8], subject text: String?, mac: [UInt8]?, _ tags: StoreRowTags) throws -> SubjectID {
        guard let subject = text.flatMap(SubjectID.stored) else { throw StoreError.corrupt("source_records row") }
        try tags.check(RecordLink(source: source, keyIndex: keyIndex, subject: subject), mac: mac)
        return subject
    }

    /// The subject of an `identifiers` row (read with its record's source and key index), checked.
    static func checkedIdentifierSubject(
        source: String, keyIndex: [UInt8], field: String, version: Int, blindIndex: [UInt8], subject text: String?, mac: [UInt8]?, _ tags: StoreRowTags
    ) throws -> SubjectID {
        guard let subject = text.flatMap(SubjectID.stored) else { throw StoreError.corrupt("identifiers row") }
        let link = IdentifierLink(
            source: source, keyIndex: keyIndex, field: field, blindIndex: BlindIndex(version: version, bytes: blindIndex), subject: subject)
        try tags.check(link, mac: mac)
        return subject
    }

    /// The subjects whose records assert `index`, each link checked.
    static func identifierSubjects(_ db: Database, _ index: BlindIndex, _ tags: StoreRowTags) throws -> [SubjectID] {
        var found: [SubjectID] = []
        try db.forEachRow(
            db.cachedStatement(
                sql: """
                    SELECT r.source, r.key_index, i.field, i.bi_version, i.subject_id, i.mac
                    FROM identifiers i JOIN source_records r ON r.record_id = i.record_id WHERE i.blind_index = ?
                    """),
            binding: { $0.bind(1, index.bytes) },
            each: { row in
                guard let source = row.text(0), let keyIndex = row.bytes(1), let field = row.text(2), let version = row.int64(3) else {
                    throw StoreError.corrupt("identifiers row")
                }
                let subject = try checkedIdentifierSubject(
                    source: source, keyIndex: keyIndex, field: field, version: Int(version), blindIndex: index.bytes, subject: row.text(4),
                    mac: row.bytes(5), tags)
                if !found.contains(subject) { found.append(subject) }
            })
        return found
    }

    /// Re-links every record and identifier of `loser` to `target` (a merge), each row checked
    /// before it is re-tagged.
    static func moveLinks(_ db: Database, from loser: SubjectID, to target: SubjectID, _ tags: StoreRowTags) throws {
        let records = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT record_id, source, key_index, mac FROM source_records WHERE subject_id = ?"), arguments: [loser.description])
        for row in records {
            let recordID: Int64 = row[0]
            let source: String = row[1]
            let keyIndex = [UInt8](row[2] as Data)
            try tags.check(RecordLink(source: source, keyIndex: keyIndex, subject: loser), mac: (row[3] as Data?).map { [UInt8]($0) })
            try writeRecordLink(db, recordID: recordID, RecordLink(source: source, keyIndex: keyIndex, subject: target), tags)
            try relinkIdentifiers(db, recordID: recordID, source: source, keyIndex: keyIndex, from: loser, to: target, tags)
        }
    }

    static func writeRecordLink(_ db: Database, recordID: Int64, _ link: RecordLink, _ tags: StoreRowTags) throws {
        try db.cachedStatement(sql: "UPDATE source_records SET subject_id = ?, mac = ? WHERE record_id = ?")
            .execute(arguments: [link.subject.description, tags.tag(link).map { Data($0) }, recordID])
    }

    /// Moves a record's identifiers from `old` to `target`, each checked and re-tagged.
    static func relinkIdentifiers(
        _ db: Database, recordID: Int64, source: String, keyIndex: [UInt8], from old: SubjectID, to target: SubjectID, _ tags: StoreRowTags
    ) throws {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT field, bi_version, blind_index, subject_id, mac FROM identifiers WHERE record_id = ?"), arguments: [recordID])
        for row in rows {
            let field: String = row[0]
            let index = BlindIndex(version: row[1], bytes: [UInt8](row[2] as Data))
            let current = try checkedIdentifierSubject(
                source: source, keyIndex: keyIndex, field: field, version: index.version, blindIndex: index.bytes, subject: row[3],
                mac: (row[4] as Data?).map { [UInt8]($0) }, tags)
            // Already moved with its subject by a merge of this transaction: nothing to do.
            if current == target { continue }
            guard current == old else { throw StoreError.corrupt("an identifier of a record belongs to another subject") }
            let link = IdentifierLink(source: source, keyIndex: keyIndex, field: field, blindIndex: index, subject: target)
            try db.cachedStatement(sql: "UPDATE identifiers SET subject_id = ?, mac = ? WHERE record_id = ? AND field = ?")
                .execute(arguments: [target.description, tags.tag(link).map { Data($0) }, recordID, field])
        }
    }

    /// Tags every untagged record and identifier link (the once-per-vault upgrade).
    static func tagUntaggedLinks(_ db: Database, _ tags: StoreRowTags) throws -> Int {
        let records = try Row.fetchAll(db, sql: "SELECT record_id, source, key_index, subject_id FROM source_records WHERE mac IS NULL")
        for row in records {
            guard let subject = SubjectID(row[3] as String) else { throw StoreError.corrupt("source_records row") }
            try writeRecordLink(db, recordID: row[0], RecordLink(source: row[1], keyIndex: [UInt8](row[2] as Data), subject: subject), tags)
        }
        let identifiers = try Row.fetchAll(
            db,
            sql: """
                SELECT i.record_id, i.field, i.bi_version, i.blind_index, i.subject_id, r.source, r.key_index
                FROM identifiers i JOIN source_records r ON r.record_id = i.record_id WHERE i.mac IS NULL
                """)
        for row in identifiers {
            guard let subject = SubjectID(row[4] as String) else { throw StoreError.corrupt("identifiers row") }
            let link = IdentifierLink(
                source: row[5], keyIndex: [UInt8](row[6] as Data), field: row[1], blindIndex: BlindIndex(version: row[2], bytes: [UInt8](row[3] as Data)),
                subject: subject)
            try db.cachedStatement(sql: "UPDATE identifiers SET mac = ? WHERE record_id = ? AND field = ?")
                .execute(arguments: [tags.tag(link).map { Data($0) }, row[0] as Int64, row[1] as String])
        }
        let held = try Row.fetchAll(db, sql: "SELECT subject_id, field, category, basis, held_until FROM held_values WHERE mac IS NULL")
        for row in held {
            guard let subject = SubjectID(row[0] as String) else { throw StoreError.corrupt("held_values row") }
            let value = HeldValueRow(subject: subject, field: row[1], category: row[2], basis: row[3], untilMillis: row[4])
            try db.execute(
                sql: "UPDATE held_values SET mac = ? WHERE subject_id = ? AND field = ?",
                arguments: [tags.tag(value).map { Data($0) }, subject.description, value.field])
        }
        return records.count + identifiers.count + held.count
    }
}

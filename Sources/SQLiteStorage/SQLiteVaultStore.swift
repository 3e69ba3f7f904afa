import Audit
import Foundation
import GRDB
import Identity
import Storage
import VaultModel

/// The embedded store: one SQLite file through a GRDB `DatabasePool` (WAL, readers in
/// parallel with one writer), `secure_delete` on so deleted cells are zeroed in the file.
public final class SQLiteVaultStore: VaultStore {
    let pool: DatabasePool
    public let path: String
    public let auditSink = AuditSinkState()
    public let rowTags = StoreRowTags()
    let checkpointer: WALCheckpointer
    /// The per-request reads (a view's profile, a token), on connections that keep their cache.
    let readers: PinnedReaders
    /// Where the master-key rewrap's walk through `subjects` has got to.
    let rewrapWalk = RewrapWalk()
    /// How long after a commit by another process or connection on the same file the per-request
    /// reads may still answer from before it (this store's own commits are seen at once).
    public static var foreignCommitVisibility: Duration { PinnedReaders.maximumAge }

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        // One per core (the reads run on the caller's thread), at most 8: their caches take 16 MiB each.
        let readers = PinnedReaders(path: path, count: min(8, max(2, ProcessInfo.processInfo.activeProcessorCount)))
        self.readers = readers
        let checkpointer = WALCheckpointer(path: path, readers: readers)
        self.checkpointer = checkpointer
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            checkpointer.install(on: db)
        }
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        let migrator = SQLiteMigrations.migrator()
        let migrating = try pool.read { try !migrator.hasCompletedMigrations($0) }
        try migrator.migrate(pool)
        // The data directory's lock makes this process the file's only user: a key-operation
        // lease still here is a killed process's, and would block rotations until it expired.
        try pool.write { try $0.execute(sql: "DELETE FROM key_operation_lease") }
        // A migration commits in one transaction: v7 rewrote whole tables, so its WAL is as
        // large as they are (800 MB at 100k subjects). Copy it into the file and empty it now.
        if migrating { _ = try pool.writeWithoutTransaction { try $0.checkpoint(.truncate) } }
        // The writer's page cache: ingest inserts into indexes keyed by random blind indexes, so
        // their pages are touched at random; 2 MiB (the default) re-reads them from the file
        // on nearly every insert. The pool's readers keep the default and the pinned readers take
        // 16 MiB each (`PinnedReaders.open`), so memory stays bounded.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA cache_size = -32768") }
        try readers.open()
    }

    // MARK: Keys

    public func keyVersions() async throws -> [KeyVersionRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT version, check_value, created_at, state FROM keyring ORDER BY version").map {
                KeyVersionRecord(
                    version: $0["version"], checkValue: [UInt8]($0["check_value"] as Data),
                    createdAt: Self.date($0["created_at"]), state: $0["state"])
            }
        }
    }

    public func insertKeyVersion(_ record: KeyVersionRecord) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO keyring (version, check_value, created_at, state) VALUES (?, ?, ?, ?)",
                arguments: [record.version, Data(record.checkValue), Self.millis(record.createdAt), record.state])
        }
    }

    public func vaultKey(named name: String) async throws -> WrappedKey? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT kek_version, wrapped FROM vault_keys WHERE name = ?", arguments: [name]).map {
                WrappedKey(kekVersion: $0["kek_version"], bytes: [UInt8]($0["wrapped"] as Data))
            }
        }
    }

    public func insertVaultKey(named name: String, _ key: WrappedKey) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO vault_keys (name, kek_version, wrapped) VALUES (?, ?, ?)",
                arguments: [name, key.kekVersion, Data(key.bytes)])
        }
    }

    // MARK: Reads

    public func canonicalSubject(of id: SubjectID) async throws -> SubjectID? {
        try await pool.read { db in try Self.canonical(db, id, self.rowTags) }
    }

    /// Follows merges to the survivor, checking each header on the way.
    static func canonical(_ db: Database, _ id: SubjectID, _ headers: StoreRowTags) throws -> SubjectID? {
        var current = id
        for _ in 0..<64 {
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT merged_into, restricted, mac FROM subjects WHERE subject_id = ?"), arguments: [current.description])
            else { return nil }
            let header = try checkedHeader(current, mergedInto: row[0], restricted: (row[1] as Int64) != 0, mac: row[2], headers)
            guard let next = header.mergedInto else { return current }
            current = next
        }
        throw StoreError.corrupt("merge chain too long")
    }

    public func subjects(matching identifiers: [BlindIndex]) async throws -> [SubjectID] {
        try await pool.read { db in
            var found: Set<SubjectID> = []
            for index in identifiers { found.formUnion(try Self.identifierSubjects(db, index, self.rowTags)) }
            return found.sorted()
        }
    }

    public func restrictedSubjects(among ids: [SubjectID]) async throws -> Set<SubjectID> {
        try await pool.read { db in
            var restricted: Set<SubjectID> = []
            var seen: Set<SubjectID> = []
            // Every header read is checked, the unrestricted ones too (a cleared flag is the attack).
            for chunk in Self.distinctChunks(ids.map(\.description)) {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT s.subject_id, s.merged_into, s.restricted, s.mac, w.subject_id, w.merged_into, w.restricted, w.mac
                        FROM subjects s LEFT JOIN subjects w ON w.subject_id = s.merged_into
                        WHERE s.subject_id IN (\(Self.placeholders(chunk.count)))
                        """,
                    arguments: StatementArguments(chunk))
                for row in rows {
                    guard let id = SubjectID.stored(row[0] as String) else { throw StoreError.corrupt("subjects row") }
                    seen.insert(id)
                    let own = try Self.checkedHeader(id, mergedInto: row[1], restricted: (row[2] as Int64) != 0, mac: row[3], self.rowTags)
                    var survivorRestricted = false
                    if let survivor = (row[4] as String?).flatMap(SubjectID.stored) {
                        survivorRestricted = try Self.checkedHeader(
                            survivor, mergedInto: row[5], restricted: (row[6] as Int64) != 0, mac: row[7], self.rowTags
                        ).restricted
                    }
                    if own.restricted || survivorRestricted { restricted.insert(id) }
                }
            }
            // An id without its row (erased meanwhile, or its row renamed) is withheld: deny by default.
            return restricted.union(Set(ids).subtracting(seen))
        }
    }

    public func subjectCount() async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM subjects WHERE merged_into IS NULL") ?? 0
        }
    }

    /// Follows merges to the surviving subject in the same read transaction. One statement per
    /// step of the chain also brings the survivor's header and data key (a view's hot path:
    /// it was three lookups of the same row).
    public func sealedProfile(of id: SubjectID, events: ProfileEvents) async throws -> SealedProfile? {
        try readOnCallingThread { db in
            var current = id
            for _ in 0..<64 {
                guard
                    let row = try Row.fetchOne(
                        db.cachedStatement(
                            sql: """
                                SELECT merged_into, created_at, restricted, kek_version, wrapped_dek, mac FROM subjects WHERE subject_id = ?
                                """), arguments: [current.description])
                else { return nil }
                let header = try Self.checkedHeader(current, mergedInto: row[0], restricted: (row[2] as Int64) != 0, mac: row[5], self.rowTags)
                if let next = header.mergedInto {
                    current = next
                    continue
                }
                return try Self.profile(db, current, header: row, events: events, self.rowTags)
            }
            throw StoreError.corrupt("merge chain too long")
        }
    }

    /// A short read run on the caller's thread, for the per-request hot path (a view's profile,
    /// a token). GRDB's async `read` hops to a reader queue and back: measured under load,
    /// the thread wake-ups cost more CPU than the read. It runs on a pinned reader, whose page
    /// cache survives the audit commits between views (`PinnedReaders`), or, when all of those
    /// are busy, on one of the pool's readers: the wait there is bounded, as these reads take
    /// tens of microseconds and long async reads holding all five end as they would for an
    /// async read. Long reads keep the async path.
    func readOnCallingThread<T>(_ body: (Database) throws -> T) throws -> T {
        try readers.read(body, otherwise: { try pool.read(body) })
    }

    /// `header`: the subject's row (merged_into, created_at, restricted, kek_version, wrapped_dek).
    static func profile(_ db: Database, _ id: SubjectID, header: Row, events eventsRead: ProfileEvents, _ headers: StoreRowTags) throws -> SealedProfile {
        let subject = id.description
        var owners: Set<String> = [subject]
        var fields: [StoredFieldValue] = []
        var sources: Set<SourceName> = []
        // Most rows share one or two owners: parse each owner's id once, not once per row.
        var parsedOwners: [String: SubjectID] = [:]
        func ownerID(_ text: String?) -> SubjectID? {
            guard let text else { return nil }
            if let known = parsedOwners[text] { return known }
            let parsed = SubjectID(text)
            parsedOwners[text] = parsed
            if parsed != nil { owners.insert(text) }
            return parsed
        }
        // Columns by position, read straight from SQLite (`forEachRow`) on this per-view path.
        // Each table below is keyed by subject first (migration v7), so a subject's rows share a page or two.
        try db.forEachRow(
            db.cachedStatement(
                sql: """
                    SELECT field, source, key_owner, observed_at, ciphertext FROM field_values WHERE subject_id = ?
                    """), arguments: [subject]
        ) { r in
            guard let field = r.text(0), let source = r.text(1).flatMap(SourceName.init), let owner = ownerID(r.text(2)),
                let observed = r.int64(3), let ciphertext = r.bytes(4)
            else { throw StoreError.corrupt("field_values row") }
            sources.insert(source)
            fields.append(StoredFieldValue(field: FieldName(field), source: source, keyOwner: owner, observedAt: date(observed), ciphertext: ciphertext))
        }
        try db.forEachRow(db.cachedStatement(sql: "SELECT DISTINCT source FROM source_records WHERE subject_id = ?"), arguments: [subject]) { r in
            if let source = r.text(0).flatMap(SourceName.init) { sources.insert(source) }
        }
        var totals: [StoredEventTotals] = []
        try db.forEachRow(
            db.cachedStatement(sql: "SELECT record_id, key_owner, ciphertext FROM event_totals WHERE subject_id = ?"), arguments: [subject]
        ) { r in
            guard let record = r.int64(0), let owner = ownerID(r.text(1)) else { throw StoreError.corrupt("event_totals row") }
            totals.append(StoredEventTotals(group: EventTotalsGroup(recordID: record, keyOwner: owner), ciphertext: r.bytes(2)))
        }
        var events: [StoredEvent] = []
        func readEvents(_ statement: Statement, _ arguments: StatementArguments) throws {
            try db.forEachRow(statement, arguments: arguments) { r in
                guard let source = r.text(0).flatMap(SourceName.init), let owner = ownerID(r.text(1)), let type = r.text(2),
                    let occurred = r.int64(3), let ciphertext = r.bytes(4)
                else { throw StoreError.corrupt("events row") }
                events.append(StoredEvent(source: source, keyOwner: owner, type: type, occurredAt: date(occurred), ciphertext: ciphertext))
            }
        }
        // A view needs the events only while some group's totals are pending.
        if eventsRead == .all || totals.contains(where: { $0.ciphertext == nil }) {
            try readEvents(
                db.cachedStatement(
                    sql: "SELECT source, key_owner, type, occurred_at, ciphertext FROM events WHERE subject_id = ? ORDER BY occurred_at DESC, event_row DESC"),
                [subject])
        }
        var consents: [StoredConsent] = []
        try db.forEachRow(
            db.cachedStatement(
                sql: """
                    SELECT event_row, key_owner, purpose, status, lawful_basis, jurisdiction, occurred_at, expires_at, recorded_at, recorded_by, ciphertext
                    FROM consent_events WHERE subject_id = ? ORDER BY event_row
                    """), arguments: [subject]
        ) { r in
            guard let sequence = r.int64(0), let owner = ownerID(r.text(1)), let purpose = r.text(2), let status = r.text(3),
                let basis = r.text(4), let occurred = r.int64(6), let recorded = r.int64(8), let recordedBy = r.text(9),
                let ciphertext = r.bytes(10)
            else { throw StoreError.corrupt("consent_events row") }
            consents.append(
                StoredConsent(
                    sequence: sequence, keyOwner: owner, purpose: purpose, status: status, lawfulBasis: basis,
                    jurisdiction: r.text(5), occurredAt: date(occurred), expiresAt: r.int64(7).map(date),
                    recordedAt: date(recorded), recordedBy: recordedBy, ciphertext: ciphertext))
        }
        var keys: [SubjectID: WrappedKey] = [id: WrappedKey(kekVersion: header[3], bytes: [UInt8](header[4] as Data))]
        for owner in owners where owner != subject {
            guard let k = try Row.fetchOne(db.cachedStatement(sql: "SELECT kek_version, wrapped_dek FROM subjects WHERE subject_id = ?"), arguments: [owner]),
                let ownerID = ownerID(owner)
            else { throw StoreError.corrupt("missing data key of a key owner") }
            // A value sealed by another subject belongs here only if that subject was merged into
            // this one; otherwise a row was moved between people (decryption alone would not notice).
            if try Self.canonical(db, ownerID, headers) != id { throw StoreError.corrupt("a stored value is sealed for another subject") }
            keys[ownerID] = WrappedKey(kekVersion: k["kek_version"], bytes: [UInt8](k["wrapped_dek"] as Data))
        }
        return SealedProfile(
            subjectID: id, createdAt: date(header[1]), restricted: (header[2] as Int) != 0,
            keys: keys, fields: fields, events: events, eventsRead: eventsRead, totals: totals, consents: consents, sources: sources.sorted())
    }

    // MARK: Tokens

    public func insertToken(_ token: TokenRecord, audit: AuditWrite?) async throws {
        try await pool.write { db in
            if let audit { try self.appendAudit(db, [audit.draft], chain: audit.chain) }
            try db.execute(
                sql: """
                    INSERT INTO tokens (token_id, principal, role, source, token_hash, created_at, revoked_at, mac, approval, created_by)
                    VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)
                    """,
                arguments: [
                    token.id.uuidString.lowercased(), token.principal, token.role, token.source,
                    Data(token.hash), Self.millis(token.createdAt), token.mac.map { Data($0) }, token.approval.rawValue, token.createdBy,
                ])
        }
    }

    public func token(withHash hash: [UInt8]) async throws -> TokenRecord? {
        try readOnCallingThread { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tokens WHERE token_hash = ?"), arguments: [Data(hash)]).map(Self.tokenRecord)
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY created_at, token_id").map(Self.tokenRecord)
        }
    }

    public func revokeToken(id: UUID, at time: Date, mac: [UInt8], expectedMAC: [UInt8]?, audit: AuditWrite) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE tokens SET revoked_at = ?, mac = ? WHERE token_id = ? AND revoked_at IS NULL AND mac IS ?",
                arguments: [Self.millis(time), Data(mac), id.uuidString.lowercased(), expectedMAC.map { Data($0) }])
            let revoked = db.changesCount > 0
            var draft = audit.draft
            if !revoked {
                draft.outcome = "refused"
                draft.detail = "no active token with this id"
            }
            try self.appendAudit(db, [draft], chain: audit.chain)
            return revoked
        }
    }

    static func tokenRecord(_ row: Row) -> TokenRecord {
        let revoked: Int64? = row["revoked_at"]
        let mac: Data? = row["mac"]
        return TokenRecord(
            id: UUID(uuidString: row["token_id"]) ?? UUID(), principal: row["principal"],
            role: row["role"], source: row["source"], hash: [UInt8](row["token_hash"] as Data),
            createdAt: date(row["created_at"]), revokedAt: revoked.map(date), mac: mac.map { [UInt8]($0) },
            approval: TokenApproval(rawValue: row["approval"]) ?? .awaiting, createdBy: row["created_by"])
    }

    public func approveToken(id: UUID, mac: [UInt8], audit: AuditWrite) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE tokens SET approval = 2, mac = ? WHERE token_id = ? AND approval <> 2 AND revoked_at IS NULL",
                arguments: [Data(mac), id.uuidString.lowercased()])
            guard db.changesCount > 0 else { return false }
            try self.appendAudit(db, [audit.draft], chain: audit.chain)
            return true
        }
    }

    public func checkIntegrity() async throws -> Bool? {
        try await pool.read { try String.fetchOne($0, sql: "PRAGMA quick_check") == "ok" }
    }

    public func tagRows(tokens: [UUID: [UInt8]], policyVersions: [Int: [UInt8]], requests: [UUID: [UInt8]], audit: AuditWrite) async throws {
        try await pool.write { db in
            for (id, mac) in tokens {
                try db.execute(sql: "UPDATE tokens SET mac = ? WHERE token_id = ? AND mac IS NULL", arguments: [Data(mac), id.uuidString.lowercased()])
            }
            for (version, mac) in policyVersions {
                try db.execute(sql: "UPDATE policy_versions SET mac = ? WHERE version = ? AND mac IS NULL", arguments: [Data(mac), version])
            }
            for (id, mac) in requests {
                try db.execute(sql: "UPDATE requests SET mac = ? WHERE request_id = ? AND mac IS NULL", arguments: [Data(mac), id.uuidString.lowercased()])
            }
            try self.appendAudit(db, [audit.draft], chain: audit.chain)
        }
    }

    // MARK: Time

    static func millis(_ date: Date) -> Int64 { date.unixMillis }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
}

import Audit
import Foundation
import Identity
import Logging
import PostgresNIO
import ServiceLifecycle
import Storage
import Synchronization
import VaultModel

/// The multi-node store: one PostgreSQL database shared by any number of stateless vaultd
/// replicas, through postgres-nio's connection pool.
///
/// Consistency matches the SQLite store's single writer: every write transaction first takes
/// one transaction-scoped advisory lock, so resolution (which subjects hold an identifier),
/// merges and the audit chain's head are read and extended by one writer at a time across
/// all replicas, and the chain stays one chain. Reads never take it; a read spanning several
/// statements runs in one REPEATABLE READ snapshot.
public final class PostgresVaultStore: VaultStore, Service {
    static let writerLock: Int64 = 0x5056_5752  // "PVWR"
    static let migrationLock: Int64 = 0x5056_4D47  // "PVMG"

    let client: PostgresClient
    let logger: Logger
    public let location: PostgresLocation
    public let auditSink = AuditSinkState()
    public let rowTags = StoreRowTags()
    /// Where this replica's master-key rewrap walk through `subjects` has got to.
    let rewrapWalk = RewrapWalk()
    /// Callers of `prepare()` waiting for `run()` to start the pool.
    private let poolStarted = PoolStartSignal()

    /// A store over a pool that is not running yet: run it as a `Service` (vaultd puts it in its
    /// service group, so the pool shuts down after the server), then `prepare()`.
    /// `connect(…)` does both for tools and tests.
    public init(location: PostgresLocation, maximumConnections: Int = 16, logger: Logger = Logger(label: "profilevault.postgres")) {
        self.location = location
        // postgres-nio logs whole backend messages (rows, server errors) at trace level: even
        // under `--log-level trace` it gets notice and above only.
        var logger = logger
        logger.logLevel = max(logger.logLevel, .notice)
        self.logger = logger
        client = PostgresClient(configuration: location.clientConfiguration(maximumConnections: maximumConnections), backgroundLogger: logger)
    }

    /// Runs the connection pool until cancelled or shut down gracefully.
    public func run() async throws {
        // The pool counts as running from `client.run()`'s first step, before it suspends: a
        // lease taken earlier works too but logs a warning.
        poolStarted.signal()
        await client.run()
    }

    /// Waits for the pool (`run()`), checks the server answers and applies missing migrations.
    public func prepare() async throws {
        await poolStarted.wait()
        try await session { try await PostgresMigrations.migrate($0) }
    }

    /// A store whose pool runs in a task of its own until `shutdown()`, prepared: for tools and
    /// tests that have no service group.
    public static func connect(
        location: PostgresLocation, maximumConnections: Int = 16,
        logger: Logger = Logger(label: "profilevault.postgres")
    ) async throws -> PostgresVaultStore {
        let store = PostgresVaultStore(location: location, maximumConnections: maximumConnections, logger: logger)
        store.runner.withLock { $0 = Task { try? await store.run() } }
        do {
            try await store.prepare()
        } catch {
            store.shutdown()
            throw error
        }
        return store
    }

    /// The pool's task when `connect(…)` started it.
    private let runner = Mutex<Task<Void, Never>?>(nil)

    /// Closes the pool's connections when `connect(…)` started it (a service group stops its own).
    public func shutdown() { runner.withLock { $0?.cancel() } }

    /// Refreshes the planner's statistics of every table (what autovacuum does about once a
    /// minute). A prepared statement planned while its tables were nearly empty keeps
    /// scanning them whole until then; benchmarks call this after a bulk load, as pgbench does.
    public func analyze() async throws {
        try await session { try await $0.execute("ANALYZE") }
    }

    deinit { runner.withLock { $0?.cancel() } }

    // MARK: Units of work

    /// A connection for statements that need no transaction of their own.
    @discardableResult
    func session<T: Sendable>(_ body: (PostgresSession) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                try await body(PostgresSession(connection: connection, logger: logger))
            }
        } catch let error as PSQLError {
            throw PostgresStoreError(error)
        }
    }

    /// A write transaction, serialized with every other writer of the database.
    @discardableResult
    func write<T: Sendable>(_ body: (PostgresSession) async throws -> T) async throws -> T {
        // READ COMMITTED whatever the server's default: each statement after the lock must see
        // the previous writer's commit (a repeatable-read snapshot would be taken before the
        // lock wait, and the chain head and resolution reads would be stale).
        try await transaction(begin: "BEGIN ISOLATION LEVEL READ COMMITTED", lock: true, body)
    }

    /// A read-only snapshot over several statements.
    func read<T: Sendable>(_ body: (PostgresSession) async throws -> T) async throws -> T {
        try await transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", lock: false, body)
    }

    private func transaction<T: Sendable>(begin: String, lock: Bool, _ body: (PostgresSession) async throws -> T) async throws -> T {
        try await session { session in
            try await session.execute(PostgresQuery(unsafeSQL: begin))
            do {
                if lock { try await session.execute("SELECT pg_advisory_xact_lock(\(Self.writerLock))") }
                let value = try await body(session)
                try await session.execute("COMMIT")
                return value
            } catch {
                _ = try? await session.execute("ROLLBACK")
                throw error
            }
        }
    }

    // MARK: Keys

    public func keyVersions() async throws -> [KeyVersionRecord] {
        try await session { s in
            try await s.rows("SELECT version, check_value, created_at, state FROM keyring ORDER BY version").map {
                KeyVersionRecord(
                    version: try $0.get("version", as: Int.self), checkValue: try $0.bytes("check_value"),
                    createdAt: try $0.date("created_at"), state: try $0.get("state"))
            }
        }
    }

    /// A version another replica inserted first is kept (the caller re-checks it against its key).
    public func insertKeyVersion(_ record: KeyVersionRecord) async throws {
        try await write { s in
            try await s.execute(
                """
                INSERT INTO keyring (version, check_value, created_at, state)
                VALUES (\(record.version), \(bytea(record.checkValue)), \(Self.millis(record.createdAt)), \(record.state))
                ON CONFLICT (version) DO NOTHING
                """)
        }
    }

    public func vaultKey(named name: String) async throws -> WrappedKey? {
        try await session { s in
            try await s.row("SELECT kek_version, wrapped FROM vault_keys WHERE name = \(name)").map {
                WrappedKey(kekVersion: try $0.get("kek_version", as: Int.self), bytes: try $0.bytes("wrapped"))
            }
        }
    }

    /// A secret another replica created first is kept; the caller reads back the one stored.
    public func insertVaultKey(named name: String, _ key: WrappedKey) async throws {
        try await write { s in
            try await s.execute(
                """
                INSERT INTO vault_keys (name, kek_version, wrapped) VALUES (\(name), \(key.kekVersion), \(bytea(key.bytes)))
                ON CONFLICT (name) DO NOTHING
                """)
        }
    }

    // MARK: Reads

    public func canonicalSubject(of id: SubjectID) async throws -> SubjectID? {
        try await session { try await Self.canonical($0, id, self.rowTags) }
    }

    public func subjects(matching identifiers: [BlindIndex]) async throws -> [SubjectID] {
        guard !identifiers.isEmpty else { return [] }
        return try await session { s in
            let rows = try await s.rows(
                """
                \(unescaped: Self.identifierLinkColumns) FROM identifiers i JOIN source_records r ON r.record_id = i.record_id
                WHERE i.blind_index = ANY(\(Self.distinctBytea(identifiers)))
                """)
            return Set(try rows.map { try Self.checkedIdentifierLink($0, self.rowTags).subject }).sorted()
        }
    }

    public func restrictedSubjects(among ids: [SubjectID]) async throws -> Set<SubjectID> {
        guard !ids.isEmpty else { return [] }
        // Every header read is checked, the unrestricted ones too (a cleared flag is the attack):
        // the ids asked about, then the survivors of those merged away.
        return try await session { s in
            let own = try await s.rows("SELECT subject_id, merged_into, restricted, mac FROM subjects WHERE subject_id = ANY(\(ids.map(\.description)))")
                .map { try Self.checkedHeader($0, self.rowTags) }
            let survivorIDs = Array(Set(own.compactMap(\.mergedInto?.description)))
            var survivorRestricted: [SubjectID: Bool] = [:]
            if !survivorIDs.isEmpty {
                for row in try await s.rows("SELECT subject_id, merged_into, restricted, mac FROM subjects WHERE subject_id = ANY(\(survivorIDs))") {
                    let header = try Self.checkedHeader(row, self.rowTags)
                    survivorRestricted[header.id] = header.restricted
                }
            }
            let restricted = Set(own.filter { $0.restricted || $0.mergedInto.flatMap { survivorRestricted[$0] } == true }.map(\.id))
            // An id without its row (erased meanwhile, or its row renamed) is withheld: deny by default.
            return restricted.union(Set(ids).subtracting(own.map(\.id)))
        }
    }

    public func subjectCount() async throws -> Int {
        try await session { s in
            try await s.column("SELECT COUNT(*) FROM subjects WHERE merged_into IS NULL", as: Int.self).first ?? 0
        }
    }

    // MARK: Tokens

    public func insertToken(_ token: TokenRecord, audit: AuditWrite?) async throws {
        try await write { s in
            if let audit { try await self.appendAudit(s, [audit.draft], chain: audit.chain) }
            try await s.execute(
                """
                INSERT INTO tokens (token_id, principal, role, source, token_hash, created_at, revoked_at, mac, approval, created_by)
                VALUES (\(token.id.uuidString.lowercased()), \(token.principal), \(token.role), \(token.source), \(bytea(token.hash)),
                        \(Self.millis(token.createdAt)), NULL, \(token.mac.map(bytea)), \(Int16(token.approval.rawValue)), \(token.createdBy))
                """)
        }
    }

    public func token(withHash hash: [UInt8]) async throws -> TokenRecord? {
        try await session { s in try await s.row("SELECT * FROM tokens WHERE token_hash = \(bytea(hash))").map(Self.tokenRecord) }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await session { s in try await s.rows("SELECT * FROM tokens ORDER BY created_at, token_id").map(Self.tokenRecord) }
    }

    public func revokeToken(id: UUID, at time: Date, mac: [UInt8], expectedMAC: [UInt8]?, audit: AuditWrite) async throws -> Bool {
        try await write { s in
            let revoked =
                try await s.execute(
                    """
                    UPDATE tokens SET revoked_at = \(Self.millis(time)), mac = \(bytea(mac))
                    WHERE token_id = \(id.uuidString.lowercased()) AND revoked_at IS NULL AND mac IS NOT DISTINCT FROM \(expectedMAC.map(bytea))
                    """) > 0
            var draft = audit.draft
            if !revoked {
                draft.outcome = "refused"
                draft.detail = "no active token with this id"
            }
            try await self.appendAudit(s, [draft], chain: audit.chain)
            return revoked
        }
    }

    static func tokenRecord(_ row: PostgresRandomAccessRow) throws -> TokenRecord {
        TokenRecord(
            id: UUID(uuidString: try row.get("token_id")) ?? UUID(), principal: try row.get("principal"),
            role: try row.get("role", as: String?.self), source: try row.get("source", as: String?.self),
            hash: try row.bytes("token_hash"), createdAt: try row.date("created_at"), revokedAt: try row.optionalDate("revoked_at"),
            mac: try row.optionalBytes("mac"), approval: TokenApproval(rawValue: Int(try row.get("approval", as: Int16.self))) ?? .awaiting,
            createdBy: try row.get("created_by", as: String?.self))
    }

    public func approveToken(id: UUID, mac: [UInt8], audit: AuditWrite) async throws -> Bool {
        try await write { s in
            let approved =
                try await s.execute(
                    """
                    UPDATE tokens SET approval = 2, mac = \(bytea(mac))
                    WHERE token_id = \(id.uuidString.lowercased()) AND approval <> 2 AND revoked_at IS NULL
                    """) > 0
            if approved { try await self.appendAudit(s, [audit.draft], chain: audit.chain) }
            return approved
        }
    }

    public func checkIntegrity() async throws -> Bool? { nil }

    public func tagRows(tokens: [UUID: [UInt8]], policyVersions: [Int: [UInt8]], requests: [UUID: [UInt8]], audit: AuditWrite) async throws {
        try await write { s in
            for (id, mac) in tokens {
                try await s.execute("UPDATE tokens SET mac = \(bytea(mac)) WHERE token_id = \(id.uuidString.lowercased()) AND mac IS NULL")
            }
            for (version, mac) in policyVersions {
                try await s.execute("UPDATE policy_versions SET mac = \(bytea(mac)) WHERE version = \(version) AND mac IS NULL")
            }
            for (id, mac) in requests {
                try await s.execute("UPDATE requests SET mac = \(bytea(mac)) WHERE request_id = \(id.uuidString.lowercased()) AND mac IS NULL")
            }
            try await self.appendAudit(s, [audit.draft], chain: audit.chain)
        }
    }

    // MARK: Time

    static func millis(_ date: Date) -> Int64 { date.unixMillis }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
}

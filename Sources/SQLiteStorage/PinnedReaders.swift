import Foundation
import GRDB
import Storage
import Synchronization

/// Reader connections that keep their read transaction, and with it their page cache, from one
/// short read to the next while nothing but audit entries was committed in between.
///
/// SQLite empties a connection's page cache whenever it begins a read transaction after another
/// connection committed. Every view commits its audit entry, so with one transaction per read
/// every view's read started cold: 33 page reads from the OS per view (strace over 200 views;
/// 0.7 with the view's audit append removed), and more of them as the B-trees deepen with the
/// store. The reads made here (a view's profile, a token) never read the audit tables, so a
/// snapshot taken before an audit-only commit answers them exactly as a new one would.
///
/// A reader ends its transaction and begins a new one when
/// - anything other than an audit-only append was committed since its transaction began: the
///   writer's WAL hook bumps `generation` after every commit unless that transaction declared
///   itself audit-only (`nextCommitIsAuditOnly`), so a write through any path counts;
/// - the WAL has passed the background checkpoint threshold: an open snapshot keeps the WAL from
///   restarting at its beginning, so readers then read as before, one transaction per read,
///   until it has restarted, and the background checkpoint first ends idle readers' transactions;
/// - a TRUNCATE checkpoint (erasure, retention) needs every reader on the newest snapshot
///   (`withoutPins`);
/// - it is older than `maximumAge`. The generation counts this process's commits only; a commit
///   by another process or connection on the same file (a second vault in tests, a tool on the
///   live file) is seen once the pins older than it have aged out.
final class PinnedReaders: Sendable {
    /// How long a read transaction may serve reads; at thousands of views a second it still
    /// serves hundreds.
    static let maximumAge = Duration.milliseconds(50)

    /// One connection, and the generation and time its open transaction began at (nil: none
    /// open). Only whoever took it from `idle` touches it, so it needs no lock of its own.
    final class Reader: @unchecked Sendable {
        let connection: DatabaseQueue
        var pinnedAt: UInt64?
        var began = ContinuousClock.now
        init(_ connection: DatabaseQueue) { self.connection = connection }
    }

    private let path: String
    private let count: Int
    private let idle = Mutex<[Reader]>([])
    private let generation = Atomic<UInt64>(0)
    private let auditOnlyCommit = Atomic<Bool>(false)
    private let walIsLong = Atomic<Bool>(false)
    private let unpinRequests = Atomic<Int>(0)
    /// Read transactions begun (tests: a read after an audit-only commit begins none).
    let transactionsBegun = Atomic<Int>(0)

    /// `count` connections: one per core is enough, as the reads run synchronously on the
    /// caller's thread; a read finding them all busy takes the pool's path instead.
    init(path: String, count: Int) {
        self.path = path
        self.count = count
    }

    /// Opens the connections, once the pool has created the file and made it a WAL database.
    func open() throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "pinned-reader"
        // The transaction is meant to outlive each access.
        configuration.allowsUnsafeTransactions = true
        configuration.busyMode = .timeout(10)
        // Kept between reads now, a larger cache holds the upper B-tree levels of a large store.
        configuration.prepareDatabase { try $0.execute(sql: "PRAGMA cache_size = -16384") }
        let readers = try (0..<count).map { _ in Reader(try DatabaseQueue(path: path, configuration: configuration)) }
        idle.withLock { $0 = readers }
    }

    /// Runs `body` in a read transaction on an idle reader, or runs `otherwise` when all are busy.
    func read<T>(_ body: (Database) throws -> T, otherwise: () throws -> T) throws -> T {
        guard let reader = idle.withLock({ $0.popLast() }) else { return try otherwise() }
        defer { giveBack(reader) }
        return try reader.connection.inDatabase { db in
            // Loaded before the snapshot is taken (at the first statement): a commit bumping it
            // later is then seen as newer than this transaction, never the reverse.
            let current = generation.load(ordering: .acquiring)
            let now = ContinuousClock.now
            if let pinned = reader.pinnedAt, pinned != current || !mayPin || now - reader.began > Self.maximumAge { end(reader, db) }
            if reader.pinnedAt == nil {
                try db.beginTransaction(.deferred)
                reader.pinnedAt = current
                reader.began = now
                transactionsBegun.add(1, ordering: .relaxed)
            }
            do {
                let value = try body(db)
                if !mayPin { end(reader, db) }
                return value
            } catch {
                end(reader, db)
                throw error
            }
        }
    }

    private var mayPin: Bool {
        !walIsLong.load(ordering: .acquiring) && unpinRequests.load(ordering: .acquiring) == 0
    }

    /// Back to `idle`, its transaction ended first if pins were withdrawn meanwhile: checked under
    /// the same lock `releaseIdle` takes, so a reader is either released there or here.
    private func giveBack(_ reader: Reader) {
        let kept = idle.withLock { readers -> Bool in
            guard reader.pinnedAt == nil || mayPin else { return false }
            readers.append(reader)
            return true
        }
        guard !kept else { return }
        reader.connection.inDatabase { end(reader, $0) }
        idle.withLock { $0.append(reader) }
    }

    private func end(_ reader: Reader, _ db: Database) {
        reader.pinnedAt = nil
        // A read-only transaction: rolling back and committing are the same, and this can't fail
        // in a way that leaves it open.
        if db.isInsideTransaction { try? db.rollback() }
    }

    /// Ends the transactions of idle readers (a checkpoint is about to run). Readers taken
    /// meanwhile end theirs on the way back if pins are withdrawn.
    func releaseIdle() {
        let taken = idle.withLock { readers -> [Reader] in
            defer { readers.removeAll() }
            return readers
        }
        for reader in taken where reader.pinnedAt != nil {
            reader.connection.inDatabase { end(reader, $0) }
        }
        idle.withLock { $0.append(contentsOf: taken) }
    }

    /// Runs `body` (a TRUNCATE checkpoint) with no reader holding an old snapshot.
    func withoutPins<T>(_ body: () async throws -> T) async rethrows -> T {
        unpinRequests.add(1, ordering: .sequentiallyConsistent)
        defer { unpinRequests.subtract(1, ordering: .sequentiallyConsistent) }
        releaseIdle()
        return try await body()
    }

    // MARK: Told by the writer

    /// Called by the writer's WAL hook after each commit, with the WAL's size in pages.
    func writerCommitted(walPages: Int32) {
        if !auditOnlyCommit.exchange(false, ordering: .acquiringAndReleasing) {
            generation.wrappingAdd(1, ordering: .releasing)
        }
        walIsLong.store(walPages >= WALCheckpointer.backgroundPages, ordering: .releasing)
    }

    /// Called inside a write transaction that appends audit entries and nothing else, so that
    /// its commit leaves pinned readers pinned. The mark is cleared when that transaction ends
    /// either way, so a rolled-back one can't pass it on to the next commit.
    func nextCommitIsAuditOnly(_ db: Database) {
        auditOnlyCommit.store(true, ordering: .releasing)
        db.afterNextTransaction(
            onCommit: { [self] _ in auditOnlyCommit.store(false, ordering: .releasing) },
            onRollback: { [self] _ in auditOnlyCommit.store(false, ordering: .releasing) })
    }
}

import Dispatch
import GRDB
import GRDBSQLite
import Storage
import Synchronization

/// Checkpoints the WAL on its own connection and thread, so that writes don't wait for it.
///
/// SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages:
/// that writer copies the pages into the database file and fsyncs it while every other write
/// (ingest batches, the audit entries of views) waits: 8% of ingest's CPU samples, and ingest
/// ran 20% faster with no checkpoint at all. Here the writer's commit only tells this checkpointer the
/// WAL's size (a WAL hook replacing the automatic one), and the same PASSIVE checkpoint runs
/// on a second connection, in parallel with further writes; readers are never blocked either way.
///
/// A checkpoint running beside busy writers can't always catch up (new frames keep arriving,
/// so the WAL can't restart from its beginning), so the writer still checkpoints itself, as
/// SQLite would, once the WAL passes `writerPages`.
final class WALCheckpointer: Sendable {
    /// When a background checkpoint starts: SQLite's own automatic threshold.
    static let backgroundPages: Int32 = 1000
    /// When the committing writer checkpoints inline, as the automatic checkpoint would.
    static let writerPages: Int32 = 10_000

    private let path: String
    /// Told of every commit; their idle snapshots are released before each checkpoint.
    let readers: PinnedReaders
    /// Opened on the first checkpoint, once the pool has made the file a WAL database.
    private let connection = Mutex<DatabaseQueue?>(nil)
    private let queue = DispatchQueue(label: "profilevault.sqlite.checkpoint")
    private let scheduled = Mutex(false)

    init(path: String, readers: PinnedReaders) {
        self.path = path
        self.readers = readers
    }

    /// Installs the WAL hook on the pool's writer connection.
    ///
    /// The hook's context is a small `Signal` that is never released (one per writer
    /// connection opened, so one per store): SQLite may call the hook until the connection
    /// closes, whose moment GRDB decides. It holds the checkpointer weakly, so a closed
    /// store's checkpointer and its connection are released, and a later commit checkpoints inline.
    func install(on db: Database) {
        guard !db.configuration.readonly else { return }
        let signal = Unmanaged.passRetained(Signal(self))
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, handle, _, pages in
                guard let context else { return SQLITE_OK }
                let checkpointer = Unmanaged<Signal>.fromOpaque(context).takeUnretainedValue().checkpointer
                checkpointer?.readers.writerCommitted(walPages: pages)
                guard pages >= WALCheckpointer.backgroundPages else { return SQLITE_OK }
                if pages < WALCheckpointer.writerPages, let checkpointer {
                    checkpointer.schedule()
                } else {
                    sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                }
                return SQLITE_OK
            }, signal.toOpaque())
    }

    /// Queues one checkpoint unless one is queued already; a commit arriving while one runs
    /// queues the next.
    func schedule() {
        guard
            scheduled.withLock({ queued in
                if queued { return false }
                queued = true
                return true
            })
        else { return }
        queue.async { [self] in
            scheduled.withLock { $0 = false }
            // Idle readers' snapshots would hold the WAL back from restarting.
            readers.releaseIdle()
            // A failure (busy: an erasure's TRUNCATE checkpoint is running) leaves the pages to the next.
            _ = try? checkpointConnection().writeWithoutTransaction { try $0.checkpoint(.passive) }
        }
    }

    private func checkpointConnection() throws -> DatabaseQueue {
        try connection.withLock { connection in
            if let connection { return connection }
            var configuration = Configuration()
            configuration.label = "checkpoint"
            let opened = try DatabaseQueue(path: path, configuration: configuration)
            connection = opened
            return opened
        }
    }

    /// Waits for a queued checkpoint to finish (tests).
    func drain() { queue.sync {} }

    final class Signal: Sendable {
        weak let checkpointer: WALCheckpointer?
        init(_ checkpointer: WALCheckpointer) { self.checkpointer = checkpointer }
    }
}

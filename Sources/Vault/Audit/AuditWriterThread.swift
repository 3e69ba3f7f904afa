import Audit
import Foundation
import Storage
import Synchronization

/// The one thread that appends the reads chain: callers queue their entry and suspend once;
/// the thread takes everything queued, writes it in one synced transaction (group commit) and
/// resumes exactly the callers that transaction covers, with its outcome. A dedicated thread,
/// never one of Swift's cooperative threads: the write blocks on `fsync` for as long as the disk
/// takes, and the cooperative pool has one thread per core.
final class AuditWriterThread: Sendable {
    private struct Pending {
        let draft: AuditDraft
        let continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var queue: [Pending] = []
        var stopped = false
        /// Started by the first append: a log that never appends (the start-up anchor check's) starts no thread.
        var thread: Thread?
    }
    private let state = Mutex(State())
    /// Wakes the thread when the queue fills or the thread is asked to stop.
    private let wake = DispatchSemaphore(value: 0)

    /// `write` appends a batch, durable before it returns (`SynchronousAuditAppending`).
    private let name: String
    private let write: @Sendable ([AuditDraft]) throws -> Void

    /// `write` appends a batch, durable before it returns (`SynchronousAuditAppending`).
    init(name: String, write: @escaping @Sendable ([AuditDraft]) throws -> Void) {
        self.name = name
        self.write = write
    }

    /// The thread's loop; it holds this object until `stop` (its owner's deinit) lets it end.
    private func makeThread() -> Thread {
        let thread = Thread { [self] in
            while true {
                wake.wait()
                let (batch, stopped) = state.withLock { s -> ([Pending], Bool) in
                    defer { s.queue = [] }
                    return (s.queue, s.stopped)
                }
                if !batch.isEmpty {
                    let result: Result<Void, any Error>
                    do {
                        try write(batch.map(\.draft))
                        result = .success(())
                    } catch {
                        result = .failure(StoreError.auditUnavailable)
                    }
                    for pending in batch { pending.continuation.resume(with: result) }
                }
                if stopped { return }
            }
        }
        thread.name = name
        return thread
    }

    /// Queues `draft` and returns once the transaction holding it committed; throws
    /// `auditUnavailable` when it did not (or the log was closed).
    func append(_ draft: AuditDraft) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let (accepted, start) = state.withLock { s -> (Bool, Thread?) in
                guard !s.stopped else { return (false, nil) }
                s.queue.append(Pending(draft: draft, continuation: continuation))
                guard s.thread == nil else { return (true, nil) }
                let thread = makeThread()
                s.thread = thread
                return (true, thread)
            }
            start?.start()
            if accepted { wake.signal() } else { continuation.resume(throwing: StoreError.auditUnavailable) }
        }
    }

    /// Ends the thread after it wrote what is queued.
    func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
    }
}

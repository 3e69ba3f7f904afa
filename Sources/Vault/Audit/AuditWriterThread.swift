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
    }
    private let state = Mutex(State())
    /// Wakes the thread when the queue fills or the thread is asked to stop.
    private let wake = DispatchSemaphore(value: 0)

    /// `write` appends a batch, durable before it returns (`SynchronousAuditAppending`).
    init(name: String, write: @escaping @Sendable ([AuditDraft]) throws -> Void) {
        // The thread holds this object until `stop` (its owner's deinit) lets it end.
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
        thread.start()
    }

    /// Queues `draft` and returns once the transaction holding it committed; throws
    /// `auditUnavailable` when it did not (or the log was closed).
    func append(_ draft: AuditDraft) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let accepted = state.withLock { s -> Bool in
                guard !s.stopped else { return false }
                s.queue.append(Pending(draft: draft, continuation: continuation))
                return true
            }
            if accepted { wake.signal() } else { continuation.resume(throwing: StoreError.auditUnavailable) }
        }
    }

    /// Ends the thread after it wrote what is queued.
    func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
    }
}

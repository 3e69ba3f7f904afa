import Audit
import Foundation
import Storage
import Synchronization
import VaultCrypto

/// The audit log: group-committed appends for reads, signed anchors, verification.
///
/// Reads are audited before their response is sent. Appending one entry per read in its
/// own transaction would serialize the server on one commit per read, so concurrent
/// appends are gathered: one caller at a time (the leader) writes everything queued in one
/// transaction, on its own thread when the store can (`SynchronousAuditAppending`), and
/// resumes the callers whose entries it wrote; a caller still waiting then leads the next
/// batch. Each caller learns the outcome of the batch holding its entry. The queue is a
/// `Mutex`, not actor state: an actor hop on the way in and out of every view's append cost
/// more than the write.
public actor AuditLog {
    let store: any VaultStore
    public nonisolated let chain: HashChain
    let signingKey: Ed25519PrivateKey
    public nonisolated let publicKey: Ed25519PublicKey
    /// Append-only file of signed anchors, beside (not inside) the database.
    public nonisolated let anchorsFile: URL
    /// Told how long each read's audit append took (for metrics).
    public nonisolated let observer = AuditObserver()

    /// What a waiting caller is told: its entry was written, or it leads the next batch.
    enum Turn: Sendable { case written, lead }
    struct Waiter {
        let draft: AuditDraft
        let continuation: CheckedContinuation<Turn, any Error>
    }
    struct GroupCommit {
        var leading = false
        var waiting: [Waiter] = []
    }
    private nonisolated let group = Mutex(GroupCommit())
    private nonisolated let appendNow: (any SynchronousAuditAppending)?
    private var lastAnchoredSeq: Int64 = -1

    public init(store: any VaultStore, chain: HashChain, signingKey: Ed25519PrivateKey, anchorsFile: URL) throws {
        self.store = store
        self.chain = chain
        self.signingKey = signingKey
        self.publicKey = try signingKey.publicKey
        self.anchorsFile = anchorsFile
        self.appendNow = store as? any SynchronousAuditAppending
    }

    public nonisolated var isHealthy: Bool { !store.auditSink.isFailed }

    /// Appends one entry; returns once it is committed, throws `auditUnavailable` if not.
    public nonisolated func record(_ draft: AuditDraft) async throws {
        guard isHealthy else { throw StoreError.auditUnavailable }
        let started = ContinuousClock.now
        defer { observer.report(ContinuousClock.now - started) }
        let leads = group.withLock { state in
            if state.leading { return false }
            state.leading = true
            return true
        }
        if !leads {
            // Queued in the same critical section that checks for a leader, so a leader
            // finishing meanwhile either takes this entry or leaves the lead to it.
            let turn = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Turn, any Error>) in
                let leadsNow = group.withLock { state in
                    if state.leading {
                        state.waiting.append(Waiter(draft: draft, continuation: continuation))
                        return false
                    }
                    state.leading = true
                    return true
                }
                if leadsNow { continuation.resume(returning: .lead) }
            }
            if case .written = turn { return }
        }
        try await lead(with: draft)
    }

    /// Writes `draft` and everything queued in one transaction, resumes their callers, and
    /// hands the lead to the first caller that queued meanwhile.
    private nonisolated func lead(with draft: AuditDraft) async throws {
        let batch = group.withLock { state in
            defer { state.waiting = [] }
            return state.waiting
        }
        let result: Result<Turn, any Error>
        do {
            let drafts = [draft] + batch.map(\.draft)
            if let appendNow {
                try appendNow.appendAuditOnCallingThread(drafts, chain: chain)
            } else {
                try await store.appendAudit(drafts, chain: chain)
            }
            result = .success(.written)
        } catch {
            result = .failure(StoreError.auditUnavailable)
        }
        let next = group.withLock { state -> Waiter? in
            guard !state.waiting.isEmpty else {
                state.leading = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        for waiter in batch { waiter.continuation.resume(with: result) }
        next?.continuation.resume(returning: .lead)
        _ = try result.get()
    }

    // MARK: Anchors

    /// The chain's last entry: its sequence number and hash.
    public func head() async throws -> (seq: Int64, hash: [UInt8])? { try await store.auditHead() }

    /// Signs the current head and appends it to the anchors file (fsynced); nil when the
    /// chain is empty or the head is already anchored.
    @discardableResult
    public func anchor(at time: Date = Date()) async throws -> AuditAnchor? {
        guard let head = try await store.auditHead(), head.seq != lastAnchoredSeq else { return nil }
        let anchor = try AuditAnchor.sign(seq: head.seq, head: head.hash, at: time, key: signingKey)
        do { try AppendOnlyFile.append(anchor, to: anchorsFile) } catch { throw AuditLogError.anchorsUnwritable }
        lastAnchoredSeq = head.seq
        return anchor
    }

    /// Every anchor in the anchors file, oldest first (empty when there is no file).
    public nonisolated func anchors() throws -> [AuditAnchor] {
        guard let data = FileManager.default.contents(atPath: anchorsFile.path) else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").filter { !$0.isEmpty }.map { line in
            guard let anchor = try? JSONDecoder().decode(AuditAnchor.self, from: Data(line.utf8)) else { throw AuditLogError.anchorsCorrupt }
            return anchor
        }
    }

    /// The newest anchor in the anchors file, if any.
    public nonisolated func latestAnchor() throws -> AuditAnchor? { try anchors().last }

    // MARK: Verification and reading

    /// Walks the whole chain and checks it against every anchor.
    public nonisolated func verify() async throws -> ChainVerifier.Report {
        let anchors: [AuditAnchor]
        do { anchors = try self.anchors() } catch {
            var report = ChainVerifier.Report()
            report.problem = .anchorSignature
            return report
        }
        var verifier = ChainVerifier(chain: chain, anchors: anchors)
        if let forged = anchors.first(where: { !$0.isAuthentic(trusting: publicKey) }) {
            verifier.rejectAnchor(seq: forged.seq)
            return verifier.finish()
        }
        var query = AuditQuery()
        query.limit = 5000
        while true {
            let page = try await store.auditEntries(query)
            for entry in page where !verifier.feed(entry) { return verifier.finish() }
            guard let last = page.last, page.count == query.limit else { break }
            query.afterSeq = last.seq
        }
        return verifier.finish()
    }

    /// Refuses to start over a chain that no longer holds what was anchored: every anchor must
    /// be authentic and its sequence number must still carry its hash on the stored chain.
    ///
    /// A chain cut back (its newest entries deleted) would otherwise be continued from the
    /// shortened head, reusing the deleted sequence numbers, and the next anchor would sign
    /// over the cut. One point read per anchored sequence number, not a walk of the chain
    /// (`verify` walks it); a stored hash rewritten to match is what `verify` catches.
    public nonisolated func checkAnchorsAtStart() async throws {
        let anchors: [AuditAnchor]
        do { anchors = try self.anchors() } catch { throw AuditLogError.anchorsCorrupt }
        var heads: [Int64: String] = [:]
        for anchor in anchors {
            guard anchor.isAuthentic(trusting: publicKey) else { throw AuditLogError.anchorForged(seq: anchor.seq) }
            if let head = heads[anchor.seq], head != anchor.head { throw AuditLogError.anchorNotOnChain(seq: anchor.seq) }
            heads[anchor.seq] = anchor.head
        }
        for (seq, head) in heads.sorted(by: { $0.key < $1.key }) where seq > 0 {
            var query = AuditQuery()
            query.afterSeq = seq - 1
            query.limit = 1
            guard let entry = try await store.auditEntries(query).first, entry.seq == seq, HashChain.hex(entry.hash) == head else {
                throw AuditLogError.anchorNotOnChain(seq: seq)
            }
        }
    }

    public nonisolated func entries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await store.auditEntries(query)
    }

    /// Who received a subject's data: every successful view, timeline read, lookup or segment
    /// match naming the subject, with principal, role, purpose, field names and time. The
    /// access export (GDPR Art. 15(1)(c), "recipients") is built from this.
    public nonisolated func recipients(of subject: String) async throws -> [AuditEntry] {
        var query = AuditQuery()
        query.subjectID = subject
        query.limit = 5000
        var found: [AuditEntry] = []
        while true {
            let page = try await store.auditEntries(query)
            found += page.filter { Self.disclosures.contains($0.draft.action) && $0.draft.outcome == "ok" && !$0.draft.fields.isEmpty }
            guard let last = page.last, page.count == query.limit else { break }
            query.afterSeq = last.seq
        }
        return found
    }

    /// Actions that disclose field values to the caller.
    static let disclosures: Set<String> = ["subject.view", "subject.timeline", "segment.query"]
}

public enum AuditLogError: Error, CustomStringConvertible, Sendable {
    case anchorsUnwritable
    case anchorsCorrupt
    case anchorForged(seq: Int64)
    case anchorNotOnChain(seq: Int64)
    public var description: String {
        switch self {
        case .anchorsUnwritable: "the audit anchors file cannot be written"
        case .anchorsCorrupt: "the audit anchors file is corrupt"
        case .anchorForged(let seq): "refusing to start: the audit anchor at sequence \(seq) is not signed by this vault's key"
        case .anchorNotOnChain(let seq):
            "refusing to start: the audit chain no longer holds the entry anchored at sequence \(seq) (its newest entries were deleted or rewritten); restore the database from a backup and investigate"
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// A settable callback for audit append latencies; the server installs one that records a histogram.
///
/// The closure lives in a class box: kept directly in a `Mutex`, every `withLock` (an inout
/// access to a generic value) re-abstracted it on the way in and out, so each report wrapped
/// it in two more thunks and calls grew slower for as long as the process ran.
public final class AuditObserver: Sendable {
    private final class Callback: Sendable {
        let body: @Sendable (Duration) -> Void
        init(_ body: @escaping @Sendable (Duration) -> Void) { self.body = body }
    }
    private let callback = Mutex<Callback?>(nil)
    public func set(_ body: @escaping @Sendable (Duration) -> Void) { callback.withLock { $0 = Callback(body) } }
    func report(_ duration: Duration) { callback.withLock { $0 }?.body(duration) }
}

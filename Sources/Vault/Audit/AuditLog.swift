import Audit
import Foundation
import Storage
import Synchronization
import VaultCrypto

/// The audit log: the store's chain (write entries, appended in their transactions) and the
/// reads chain (views, lookups, queries, refusals: `record`), anchored together, verified and
/// listed together.
///
/// Reads are audited before their response is sent. With a reads chain of its own
/// (`SQLiteReadAuditFile`) every entry goes to `AuditWriterThread`, which writes all entries
/// queued in one synced transaction: one suspension per caller, one fsync per batch. Without
/// one (PostgreSQL today), read entries go to the store's chain, gathered the same way by a
/// leader among the callers: one caller at a time writes everything queued in one
/// transaction and resumes the callers whose entries it wrote.
public actor AuditLog {
    let store: any VaultStore
    /// The reads chain's own storage; nil when read entries share the store's chain.
    let reads: (any AuditChainStorage & SynchronousAuditAppending)?
    private nonisolated let writer: AuditWriterThread?
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
    private var lastAnchored: [AuditChainName: Int64] = [:]

    public init(
        store: any VaultStore, reads: (any AuditChainStorage & SynchronousAuditAppending)? = nil, chain: HashChain, signingKey: Ed25519PrivateKey,
        anchorsFile: URL
    ) throws {
        self.store = store
        self.reads = reads
        self.chain = chain
        self.signingKey = signingKey
        self.publicKey = try signingKey.publicKey
        self.anchorsFile = anchorsFile
        self.appendNow = store as? any SynchronousAuditAppending
        self.writer = reads.map { file in AuditWriterThread(name: "audit-reads") { try file.appendAuditOnCallingThread($0, chain: chain) } }
    }

    deinit { writer?.stop() }

    /// The chains this vault keeps, with their storage: the store's, and the reads chain when it has its own.
    nonisolated var chains: [(name: AuditChainName, storage: any AuditChainStorage)] {
        var all: [(name: AuditChainName, storage: any AuditChainStorage)] = [(.store, store)]
        if let reads { all.append((.reads, reads)) }
        return all
    }

    public nonisolated var isHealthy: Bool { chains.allSatisfy { !$0.storage.auditSink.isFailed } }

    /// Appends one entry to the reads chain; returns once it is committed, throws `auditUnavailable` if not.
    public nonisolated func record(_ draft: AuditDraft) async throws {
        guard isHealthy else { throw StoreError.auditUnavailable }
        let started = ContinuousClock.now
        defer { observer.report(ContinuousClock.now - started) }
        if let writer {
            try await writer.append(draft)
            return
        }
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

    /// The store chain's last entry: its sequence number and hash.
    public func head() async throws -> (seq: Int64, hash: [UInt8])? { try await store.auditHead() }

    /// Each chain's last entry (sequence 0 and the genesis hash for an empty chain).
    public nonisolated func heads() async throws -> [AuditChainName: (seq: Int64, hash: [UInt8])] {
        var heads: [AuditChainName: (seq: Int64, hash: [UInt8])] = [:]
        for (name, storage) in chains { heads[name] = try await storage.auditHead() ?? (0, HashChain.genesis) }
        return heads
    }

    /// Signs the current heads (both chains together) and appends the anchor to the anchors
    /// file (fsynced); nil when the chains are empty or their heads are already anchored.
    @discardableResult
    public func anchor(at time: Date = Date()) async throws -> AuditAnchor? {
        let heads = try await heads()
        guard heads.values.contains(where: { $0.seq > 0 }), heads.contains(where: { lastAnchored[$0.key] != $0.value.seq }) else { return nil }
        let store = heads[.store] ?? (0, HashChain.genesis)
        let anchor = try AuditAnchor.sign(seq: store.seq, head: store.hash, reads: heads[.reads], at: time, key: signingKey)
        do { try AppendOnlyFile.append(anchor, to: anchorsFile) } catch { throw AuditLogError.anchorsUnwritable }
        lastAnchored = heads.mapValues(\.seq)
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

    /// Walks every chain and checks each against every anchor.
    public nonisolated func verify() async throws -> AuditVerification {
        let anchors: [AuditAnchor]
        do { anchors = try self.anchors() } catch {
            var report = ChainVerifier.Report()
            report.problem = .anchorSignature
            return AuditVerification(chains: [(.store, report)])
        }
        var reports: [(AuditChainName, ChainVerifier.Report)] = []
        for (name, storage) in chains {
            var verifier = ChainVerifier(chain: chain, anchors: anchors, of: name)
            if let forged = anchors.first(where: { !$0.isAuthentic(trusting: publicKey) }) {
                verifier.rejectAnchor(seq: forged.seq)
                reports.append((name, verifier.finish()))
                continue
            }
            var query = AuditQuery()
            query.limit = 5000
            walk: while true {
                let page = try await storage.auditEntries(query)
                for entry in page where !verifier.feed(entry) { break walk }
                guard let last = page.last, page.count == query.limit else { break }
                query.afterSeq = last.seq
            }
            reports.append((name, verifier.finish()))
        }
        return AuditVerification(chains: reports)
    }

    /// Refuses to start over a chain that no longer holds what was anchored: every anchor must
    /// be authentic and each head it names must still be on its chain with its hash.
    ///
    /// A chain cut back (its newest entries deleted) would otherwise be continued from the
    /// shortened head, reusing the deleted sequence numbers, and the next anchor would sign
    /// over the cut. One point read per anchored sequence number, not a walk of the chain
    /// (`verify` walks it); a stored hash rewritten to match is what `verify` catches.
    public nonisolated func checkAnchorsAtStart() async throws {
        let anchors: [AuditAnchor]
        do { anchors = try self.anchors() } catch { throw AuditLogError.anchorsCorrupt }
        for anchor in anchors where !anchor.isAuthentic(trusting: publicKey) { throw AuditLogError.anchorForged(seq: anchor.seq) }
        for (name, storage) in chains {
            var heads: [Int64: String] = [:]
            for (seq, head) in anchors.compactMap({ $0.anchoredHead(of: name) }) {
                if let known = heads[seq], known != head { throw AuditLogError.anchorNotOnChain(chain: name, seq: seq) }
                heads[seq] = head
            }
            for (seq, head) in heads.sorted(by: { $0.key < $1.key }) where seq > 0 {
                var query = AuditQuery()
                query.afterSeq = seq - 1
                query.limit = 1
                guard let entry = try await storage.auditEntries(query).first, entry.seq == seq, HashChain.hex(entry.hash) == head else {
                    throw AuditLogError.anchorNotOnChain(chain: name, seq: seq)
                }
            }
        }
    }

    /// Entries of both chains after `cursor`, merged in time order (each chain's own order
    /// kept), at most `query.limit`, and the cursor after them (nil when nothing is left).
    public nonisolated func page(
        _ query: AuditQuery, after cursor: AuditCursor = AuditCursor()
    ) async throws -> (
        entries: [AuditEntry], next: AuditCursor?
    ) {
        var lists: [[AuditEntry]] = []
        for (name, storage) in chains {
            var q = query
            q.afterSeq = cursor[name]
            lists.append(try await storage.auditEntries(q))
        }
        var merged: [AuditEntry] = []
        var positions = Array(repeating: 0, count: lists.count)
        while merged.count < query.limit {
            var pick: Int?
            for (i, list) in lists.enumerated() where positions[i] < list.count {
                if let p = pick, list[positions[i]].draft.at >= lists[p][positions[p]].draft.at { continue }
                pick = i
            }
            guard let p = pick else { break }
            merged.append(lists[p][positions[p]])
            positions[p] += 1
        }
        var next = cursor
        for entry in merged { next[entry.chain] = entry.seq }
        let more = lists.enumerated().contains { positions[$0.offset] < $0.element.count || $0.element.count == query.limit }
        return (merged, more ? next : nil)
    }

    /// The first `query.limit` entries of both chains (merged as `page`) after the cursor `query.afterSeq` names on the store chain.
    public nonisolated func entries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await page(query, after: AuditCursor(store: query.afterSeq)).entries
    }

    /// Entries of one chain, in its order after `query.afterSeq`; empty for a chain this vault doesn't keep apart.
    public nonisolated func entries(_ query: AuditQuery, on name: AuditChainName) async throws -> [AuditEntry] {
        guard let storage = chains.first(where: { $0.name == name })?.storage else { return [] }
        return try await storage.auditEntries(query)
    }

    /// Who received a subject's data: every successful view, timeline read, lookup or segment
    /// match naming the subject, on either chain, with principal, role, purpose, field names
    /// and time. The access export (GDPR Art. 15(1)(c), "recipients") is built from this.
    public nonisolated func recipients(of subject: String) async throws -> [AuditEntry] {
        var found: [AuditEntry] = []
        for (_, storage) in chains {
            var query = AuditQuery()
            query.subjectID = subject
            query.limit = 5000
            while true {
                let page = try await storage.auditEntries(query)
                found += page.filter { Self.disclosures.contains($0.draft.action) && $0.draft.outcome == "ok" && !$0.draft.fields.isEmpty }
                guard let last = page.last, page.count == query.limit else { break }
                query.afterSeq = last.seq
            }
        }
        return found.sorted { $0.draft.at != $1.draft.at ? $0.draft.at < $1.draft.at : $0.chain.rawValue < $1.chain.rawValue }
    }

    /// Actions that disclose field values to the caller.
    static let disclosures: Set<String> = ["subject.view", "subject.timeline", "segment.query"]
}

/// The verdict on every chain: valid when each is; the figures of the first that is not.
public struct AuditVerification: Sendable {
    public let chains: [(name: AuditChainName, report: ChainVerifier.Report)]

    init(chains: [(AuditChainName, ChainVerifier.Report)]) { self.chains = chains.map { (name: $0.0, report: $0.1) } }

    public var valid: Bool { chains.allSatisfy { $0.report.valid } }
    public var entries: Int64 { chains.reduce(0) { $0 + $1.report.entries } }
    var failing: (name: AuditChainName, report: ChainVerifier.Report)? { chains.first { !$0.report.valid } }
    /// The chain that failed, if one did.
    public var failedChain: AuditChainName? { failing?.name }
    public var firstInvalid: Int64? { failing?.report.firstInvalid }
    public var problem: ChainVerifier.Problem? { failing?.report.problem }
    /// The newest anchored sequence number of the store chain.
    public var anchoredSeq: Int64? { chains.first { $0.name == .store }?.report.anchoredSeq }
    /// How many anchors were checked against the store chain.
    public var anchors: Int { chains.first { $0.name == .store }?.report.anchors ?? 0 }
    public func report(of name: AuditChainName) -> ChainVerifier.Report? { chains.first { $0.name == name }?.report }
}

public enum AuditLogError: Error, CustomStringConvertible, Sendable {
    case anchorsUnwritable
    case anchorsCorrupt
    case anchorForged(seq: Int64)
    case anchorNotOnChain(chain: AuditChainName, seq: Int64)
    public var description: String {
        switch self {
        case .anchorsUnwritable: "the audit anchors file cannot be written"
        case .anchorsCorrupt: "the audit anchors file is corrupt"
        case .anchorForged(let seq): "refusing to start: the audit anchor at sequence \(seq) is not signed by this vault's key"
        case .anchorNotOnChain(let chain, let seq):
            "refusing to start: the \(chain == .store ? "" : "reads ")audit chain no longer holds the entry anchored at sequence \(seq) (its newest entries were deleted or rewritten); restore the database from a backup and investigate"
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

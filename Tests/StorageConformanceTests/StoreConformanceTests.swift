import Audit
import Foundation
import GRDB
import PostgresNIO
import Requests
import SQLiteStorage
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// Storage behaviours that the ingest, key and retention suites beside this one don't reach:
/// audit chain and queries, tokens, policy versions, requests, erasure and suppression, the
/// outbox, legal holds, restriction, key metadata, scans, and two vaults over one database.
/// Each test runs once per backend.
@Suite("Storage conformance")
struct StoreConformanceTests {
    static let officer = Caller(requestID: "conformance", principal: "officer", role: .compliance)

    @Test("audit: one chain that verifies, head = last entry, filters by action, subject and principal, paging", arguments: StorageBackend.allCases)
    func auditChainAndQueries(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        var ids: [SubjectID] = []
        for i in 0..<5 {
            let caller = Caller(requestID: "req-\(i)", principal: i.isMultiple(of: 2) ? "even" : "odd")
            ids.append(
                try await t.vault.ingest.ingest(records: [record("crm-\(i)", ["email": "p\(i)@example.com"])], from: crm, caller: caller)[0].outcome.subjectID)
        }
        let all = try await t.vault.audit.entries(.init())
        #expect(all.map(\.seq) == Array(1...Int64(all.count)), "sequence numbers are gapless from 1")
        for (previous, entry) in zip(all, all.dropFirst()) { #expect(entry.previousHash == previous.hash) }
        let head = try #require(try await t.vault.store.auditHead())
        #expect(head.seq == all.last?.seq && head.hash == all.last?.hash)
        let report = try await t.vault.audit.verify()
        #expect(report.valid && report.entries == Int64(all.count))

        var query = AuditQuery()
        query.action = "records.ingest"
        #expect(try await t.vault.audit.entries(query).count == 5)
        query = AuditQuery()
        query.subjectID = ids[3].description
        #expect(try await t.vault.audit.entries(query).map(\.draft.requestID) == ["req-3"])
        query = AuditQuery()
        query.principal = "even"
        #expect(try await t.vault.audit.entries(query).map(\.draft.requestID) == ["req-0", "req-2", "req-4"])
        query = AuditQuery()
        query.requestID = "req-1"
        #expect(try await t.vault.audit.entries(query).count == 1)
        query = AuditQuery()
        query.afterSeq = 2
        query.limit = 2
        #expect(try await t.vault.audit.entries(query).map(\.seq) == [3, 4])
        query = AuditQuery()
        query.since = Date().addingTimeInterval(3600)
        #expect(try await t.vault.audit.entries(query).isEmpty)
    }

    @Test("tokens: created, found by hash, listed, revoked once (the refusal is audited)", arguments: StorageBackend.allCases)
    func tokens(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let created = try await t.vault.tokens.create(principal: "agent-7", kind: .role(RoleName("support")), caller: tester)
        #expect(try await t.vault.tokens.authenticate(created.token.unsafeValue)?.name == "agent-7")
        #expect(try await t.vault.store.tokens().map(\.principal).contains("agent-7"))
        #expect(try await t.vault.tokens.revoke(created.record.id, caller: tester))
        #expect(try await !t.vault.tokens.revoke(created.record.id, caller: tester), "a second revocation changes nothing")
        #expect(try await t.vault.tokens.authenticate(created.token.unsafeValue) == nil)
        var query = AuditQuery()
        query.action = "token.revoke"
        #expect(try await t.vault.audit.entries(query).map(\.draft.outcome) == ["ok", "refused"])
    }

    @Test(
        "tokens: a revocation through another vault on the same database takes effect here once the token cache's lifetime has passed",
        arguments: StorageBackend.allCases)
    func tokenRevokedElsewhere(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let other = try await t.reopen()
        let lifetime = Duration.milliseconds(300)
        let here = TokenService(store: t.vault.store, keys: t.vault.keys, policies: t.vault.policies, cacheLifetime: lifetime)
        let created = try await t.vault.tokens.create(principal: "agent-8", kind: .role(RoleName("support")), caller: tester)
        let bearer = created.token.unsafeValue
        #expect(try await here.authenticate(bearer)?.name == "agent-8")
        let revokedAt = ContinuousClock.now
        #expect(try await other.tokens.revoke(created.record.id, caller: tester))
        #expect(try await other.tokens.authenticate(bearer) == nil, "the revoking vault refuses at once")
        try await Task.sleep(until: revokedAt + lifetime + .milliseconds(50))
        #expect(try await here.authenticate(bearer) == nil, "the other vault refuses once its cached entry expired")
        let uncached = TokenService(store: t.vault.store, keys: t.vault.keys, policies: t.vault.policies, cacheLifetime: .zero)
        #expect(try await uncached.authenticate(bearer) == nil)
    }

    @Test("a value moved to another person's rows is refused on read (integrity error), not shown", arguments: StorageBackend.allCases)
    func movedRowIsRefused(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        let bob = try await t.vault.ingest.ingest(records: [record("crm-2", ["email": "bob@example.com", "first_name": "Bob"])], from: crm, caller: tester)[0]
            .outcome.subjectID
        // Behind the store's back, as someone with write access to the database could.
        switch backend {
        case .postgres:
            let connection = try await TestPostgres.connect(to: try #require(t.postgres))
            defer { Task { try? await connection.close() } }
            try await connection.query(
                "UPDATE field_values SET subject_id = \(ann.description) WHERE subject_id = \(bob.description) AND field = 'first_name'",
                logger: TestPostgres.logger)
        case .sqlite:
            let queue = try DatabaseQueue(path: t.databasePath)
            try await queue.write { db in
                try db.execute(
                    sql: "UPDATE field_values SET subject_id = ? WHERE subject_id = ? AND field = 'first_name'",
                    arguments: [ann.description, bob.description])
            }
            // Written by another connection: the store's per-request reads see it within this bound.
            try await Task.sleep(for: SQLiteVaultStore.foreignCommitVisibility + .milliseconds(20))
        }
        await #expect(throws: StoreError.self) { try await t.vault.store.sealedProfile(of: ann) }
        #expect(try await t.vault.store.sealedProfile(of: bob)?.fields.map(\.field.rawValue) == ["email"])
    }

    @Test(
        "policy versions: numbered without gaps, a stale number is refused, a second vault on the same database adopts a new version",
        arguments: StorageBackend.allCases)
    func policyVersions(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let other = try await t.reopen()
        let admin = Caller(requestID: "policy", principal: "admin", role: .admin)
        var files = t.vault.policies.current.files
        let name = try #require(files.keys.sorted().first { $0.hasSuffix(".yaml") })
        files[name, default: ""] += "\n# conformance: a new version\n"
        let applied = try await t.vault.policyService.apply(files: files, caller: admin)
        #expect(applied.changed && applied.version.number == 2)
        #expect(try await t.vault.store.policyVersions().map(\.version) == [1, 2])
        let latest = try #require(try await t.vault.store.latestPolicyVersion())
        #expect(latest.files == files && latest.appliedBy == "admin" && !latest.diff.isEmpty)
        await #expect(throws: StoreError.self) {
            try await t.vault.store.insertPolicyVersion(
                PolicyVersionRecord(
                    version: 2, digest: "x", appliedAt: Date(), appliedBy: "late",
                    files: files, diff: [:]), audit: nil)
        }
        #expect(other.policies.active.number == 1)
        #expect(try await other.policyService.refresh()?.number == 2)
        #expect(other.policies.active.number == 2 && other.policies.current.files == files)
        #expect(try await other.policyService.refresh() == nil, "nothing newer: nothing adopted")
    }

    @Test("requests: stored, filtered, updated only from the expected status", arguments: StorageBackend.allCases)
    func requestLifecycle(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let subject = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        let opened = try await t.vault.requests.open(
            .init(kind: .access, regulation: .gdpr, subjectID: subject, identifiers: nil, receivedAt: nil),
            caller: Self.officer)
        let stored = try #require(try await t.vault.store.request(id: opened.id))
        #expect(stored.kind == .access && stored.regulation == .gdpr && stored.subjectID == subject && stored.status == opened.status)
        #expect(abs(stored.dueAt.timeIntervalSince(opened.dueAt)) < 0.001, "times are kept to the millisecond")
        var filter = RequestFilter()
        filter.subjectID = subject
        #expect(try await t.vault.store.requests(filter).map(\.id) == [opened.id])
        filter = RequestFilter()
        filter.overdueAt = opened.dueAt.addingTimeInterval(1)
        #expect(try await t.vault.store.requests(filter).map(\.id) == [opened.id])
        filter = RequestFilter()
        filter.overdueAt = opened.dueAt.addingTimeInterval(-1)
        #expect(try await t.vault.store.requests(filter).isEmpty)
        var changed = opened
        changed.status = .verified
        let write = AuditWrite(draft: Self.officer.draft("request.verify"), chain: t.vault.keys.auditChain)
        #expect(try await !t.vault.store.updateRequest(changed, expectedStatus: .completed, audit: write), "the status moved on meanwhile")
        #expect(try await t.vault.store.updateRequest(changed, expectedStatus: opened.status, audit: write))
        #expect(try await t.vault.store.request(id: opened.id)?.status == .verified)
    }

    @Test("erasure: the person is gone with their keys, stays suppressed, sources are notified once, the receipt verifies", arguments: StorageBackend.allCases)
    func erasure(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com", "first_name": "Ann"])], from: crm, caller: tester)[0]
            .outcome.subjectID
        _ = try await t.vault.ingest.ingest(records: [record("sup-1", ["phone": "4155550100", "last_name": "Lee"])], from: support, caller: tester)
        let merged = try await t.vault.ingest.ingest(
            records: [record("bill-1", ["email": "ann@example.com", "phone": "415-555-0100", "card_last4": "4242"])],
            from: billing, caller: tester)
        #expect(merged[0].outcome.kind == .merged && merged[0].outcome.subjectID == ann)
        let bob = try await t.vault.ingest.ingest(records: [record("crm-2", ["email": "bob@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        let owners = try await t.vault.store.erasureFacts(of: ann).keyOwners
        #expect(owners.count == 2, "the merged-away subject's key sealed values too")

        let opened = try await t.vault.requests.open(
            .init(kind: .erasure, regulation: .gdpr, subjectID: ann, identifiers: nil, receivedAt: nil),
            caller: Self.officer)
        _ = try await t.vault.requests.verify(opened.id, method: "email-link", caller: Self.officer)
        let done = try await t.vault.requests.execute(opened.id, caller: Self.officer)
        #expect(done.status == .completed)

        for owner in owners {
            #expect(try await t.vault.store.wrappedKey(of: owner) == nil, "data keys are destroyed")
            #expect(try await !t.vault.store.subjectExists(owner))
        }
        #expect(try await t.vault.store.sealedProfile(of: ann) == nil)
        #expect(try await t.vault.store.sealedRows(of: ann).isEmpty)
        #expect(try await t.vault.lookup.lookup(["email": .string("ann@example.com")], caller: tester).isEmpty)
        #expect(try await t.vault.reader.read(bob) != nil, "nobody else is touched")
        #expect(try await t.vault.store.request(id: opened.id)?.receipt != nil)

        let again = try await t.vault.ingest.ingest(records: [record("web-9", ["email": "ANN@example.com"])], from: web, caller: tester)
        #expect(again[0].outcome.kind == .suppressed, "an erased identifier does not come back")
        let oldKey = try await t.vault.ingest.ingest(records: [record("crm-1", ["first_name": "Ann"])], from: crm, caller: tester)
        #expect(oldKey[0].outcome.kind == .suppressed, "nor does an erased source key")

        let (receipt, notices) = try await t.vault.requests.receipt(opened.id, caller: Self.officer)
        #expect(receipt.verifies(with: t.vault.audit.publicKey))
        #expect(Set(notices.map(\.source)) == [crm, support, billing])
        let figures = try await t.vault.store.complianceFigures()
        #expect(figures.pendingNotices == 3 && figures.suppressions >= 4)
        let crmNotices = try await t.vault.store.outbox(source: crm, includeAcknowledged: false)
        #expect(crmNotices.count == 1 && crmNotices[0].sealedKey != nil)
        #expect(try await t.vault.requests.acknowledge(crmNotices[0].id, source: crm, caller: tester))
        #expect(try await !t.vault.requests.acknowledge(crmNotices[0].id, source: crm, caller: tester), "acknowledged once")
        #expect(
            try await !t.vault.store.acknowledge(
                notice: crmNotices[0].id, source: billing, at: Date(),
                audit: AuditWrite(draft: tester.draft("outbox.ack"), chain: t.vault.keys.auditChain)),
            "another source cannot acknowledge it")
        let acknowledged = try await t.vault.store.outbox(source: crm, includeAcknowledged: true)
        #expect(acknowledged.count == 1 && acknowledged[0].ackedAt != nil && acknowledged[0].sealedKey == nil, "the source key goes on acknowledgement")
        #expect(try await t.vault.store.outbox(source: crm, includeAcknowledged: false).isEmpty)
        #expect(try await t.vault.store.complianceFigures().pendingNotices == 2)
        #expect(try await t.vault.audit.verify().valid)
    }

    @Test("legal holds and restriction are stored per subject", arguments: StorageBackend.allCases)
    func holdsAndRestriction(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let subject = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        try await t.vault.store.setRestricted(subject, true)
        #expect(try await t.vault.store.sealedProfile(of: subject)?.restricted == true)
        try await t.vault.store.setRestricted(subject, false)
        #expect(try await t.vault.store.sealedProfile(of: subject)?.restricted == false)

        let held = HeldValue(
            field: FieldName("card_last4"), category: "financial.card", basis: "tax law", until: Date(timeIntervalSince1970: 2_000_000_000),
            ciphertext: [1, 2, 3], mac: [4, 5, 6])
        let facts = try await t.vault.store.erasureFacts(of: subject)
        let plan = ErasurePlan(
            subjectID: subject, keyOwners: facts.keyOwners, suppressions: facts.identifiers + facts.records.map(\.keyIndex),
            notices: [], held: [held], requestID: UUID(), receipt: "{}", completedAt: Date())
        try await t.vault.store.erase(plan, audit: AuditWrite(draft: tester.draft("request.execute"), chain: t.vault.keys.auditChain))
        #expect(try await t.vault.store.heldValues(of: subject) == [held], "kept with its tag")
        #expect(try await t.vault.store.allHeldValues().map(\.subject) == [subject])
        let swept = try await t.vault.store.sweep(
            fields: [:], events: [:], held: [HeldValueKey(subject: subject, field: held.field, until: held.until)], dryRun: false,
            audit: AuditWrite(draft: tester.draft("retention.sweep"), chain: t.vault.keys.auditChain))
        #expect(swept.held == 1)
        #expect(try await t.vault.store.heldValues(of: subject).isEmpty)
    }

    @Test("key metadata: versions with check values, vault secrets, wrapped-key counts, conditional re-wrap", arguments: StorageBackend.allCases)
    func keyMetadata(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ids = try await t.vault.ingest.ingest(records: (0..<3).map { record("crm-\($0)", ["email": "k\($0)@example.com"]) }, from: crm, caller: tester)
            .map(\.outcome.subjectID)
        let versions = try await t.vault.store.keyVersions()
        #expect(versions.map(\.version) == [1] && versions[0].state == "active" && versions[0].checkValue.count > 0)
        #expect(Set(try await t.vault.store.vaultKeys().map(\.name)) == ["audit-signing", "index-root", "legal-hold", "outbox"])
        #expect(try await t.vault.store.wrappedKeyCounts() == [1: 3 + 4])
        let pending = try await t.vault.store.dataKeys(notUnder: 2, limit: 2)
        #expect(pending.count == 2)
        let key = try #require(try await t.vault.store.wrappedKey(of: ids[0]))
        let moved = WrappedKey(kekVersion: 2, bytes: key.bytes)
        #expect(try await t.vault.store.replaceDataKeys([(ids[0], 1, moved)]) == 1)
        #expect(try await t.vault.store.replaceDataKeys([(ids[0], 1, moved)]) == 0, "only a key still under the old version is replaced")
        #expect(try await t.vault.store.wrappedKeyCounts() == [1: 2 + 4, 2: 1])
        try await t.vault.store.setKeyVersionState(1, state: "retiring")
        #expect(try await t.vault.store.keyVersions().first?.state == "retiring")
    }

    @Test("scans: surviving subjects page in id order, merged-away ones are skipped; subjects by field", arguments: StorageBackend.allCases)
    func scans(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ids = try await t.vault.ingest.ingest(records: (0..<7).map { record("crm-\($0)", ["email": "s\($0)@example.com"]) }, from: crm, caller: tester)
            .map(\.outcome.subjectID)
        _ = try await t.vault.ingest.ingest(records: [record("sup-1", ["phone": "4155550100", "first_name": "Sam"])], from: support, caller: tester)
        _ = try await t.vault.ingest.ingest(records: [record("bill-1", ["email": "s0@example.com", "phone": "4155550100"])], from: billing, caller: tester)
        #expect(try await t.vault.store.subjectCount() == 7)
        var seen: [SubjectID] = []
        var after: SubjectID?
        while true {
            let page = try await t.vault.store.subjectIDs(after: after, limit: 3)
            if page.isEmpty { break }
            seen += page
            after = page.last
        }
        #expect(seen == ids.sorted())
        #expect(try await t.vault.store.subjects(having: FieldName("first_name")) == [ids[0]])
        let index = t.vault.keys.blindIndexer.index(field: FieldName("email"), normalized: Sensitive("s3@example.com"))
        #expect(try await t.vault.store.subjects(matching: [index]) == [ids[3]])
    }

    @Test("two vaults over one database ingest the same people concurrently: one subject each, nothing lost, one chain", arguments: StorageBackend.allCases)
    func twoWriters(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let second = try await t.reopen()
        let people = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in stride(from: 0, to: people, by: 5) {
                group.addTask {
                    _ = try await t.vault.ingest.ingest(
                        records: (batch..<batch + 5).map { record("crm-\($0)", ["email": "w\($0)@example.com"]) },
                        from: crm, caller: tester)
                }
                group.addTask {
                    _ = try await second.ingest.ingest(
                        records: (batch..<batch + 5).map {
                            record("bill-\($0)", ["email": "W\($0)@example.com", "phone": "+1 415 555 \(String(format: "%04d", $0))"])
                        }, from: billing, caller: tester)
                }
            }
            try await group.waitForAll()
        }
        #expect(try await t.vault.store.subjectCount() == people)
        for i in [0, 17, people - 1] {
            let byEmail = try await t.vault.lookup.lookup(["email": .string("w\(i)@example.com")], caller: tester)
            let byPhone = try await second.lookup.lookup(["phone": .string("+1 415 555 \(String(format: "%04d", i))")], caller: tester)
            #expect(byEmail.count == 1 && byEmail == byPhone)
            #expect(try await t.vault.reader.read(byEmail[0])?.sources == [billing, crm])
        }
        let report = try await second.audit.verify()
        #expect(report.valid)
        var query = AuditQuery()
        query.action = "records.ingest"
        #expect(try await t.vault.audit.entries(query).count == 2 * people / 5)
    }

    @Test(
        "console sessions: stored sealed under a hashed id, renewed by use, gone when idle or ended, shared by two vaults", arguments: StorageBackend.allCases)
    func consoleSessions(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let other = try await t.reopen()
        let start = Date()
        let token = "pvt_conformance_token_0123456789"
        let created = try await t.vault.consoleSessions.create(token: Sensitive(token), now: start)
        let seen = try #require(try await other.consoleSessions.touch(created.id, now: start.addingTimeInterval(60)), "another replica serves the session")
        #expect(seen.token.unsafeValue == token && seen.csrf == created.csrf)
        #expect(try await t.vault.consoleSessions.touch(created.id + "0", now: start) == nil)
        #expect(try await t.vault.consoleSessions.touch(created.id, now: start.addingTimeInterval(60 + 15 * 60 - 1)) != nil, "renewed by the last use")
        #expect(try await t.vault.consoleSessions.touch(created.id, now: start.addingTimeInterval(2 * 60 * 60)) == nil, "idle too long")
        #expect(try await t.vault.consoleSessions.touch(created.id, now: start) == nil, "and deleted")
        let ended = try await t.vault.consoleSessions.create(token: Sensitive(token), now: start)
        try await other.consoleSessions.end(ended.id)
        #expect(try await t.vault.consoleSessions.touch(ended.id, now: start) == nil)
        // The stored row holds neither the cookie value nor the token.
        let raw = try await t.vault.store.touchConsoleSession(idHash: Array(created.id.utf8), now: start, renewedUntil: start)
        #expect(raw == nil, "rows are keyed by a keyed hash of the id, not the id")
        let live = try await t.vault.consoleSessions.create(token: Sensitive(token), now: start)
        let stored = try #require(
            try await t.vault.store.touchConsoleSession(idHash: t.vault.consoleSessions.hash(live.id), now: start, renewedUntil: start.addingTimeInterval(60)))
        #expect(!contains(Data(stored), token) && !contains(Data(stored), live.csrf))
    }
}

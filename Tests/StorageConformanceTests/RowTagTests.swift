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

/// The rows that carry an authorization decision are authenticated with a key the database
/// doesn't hold (`RowAuthenticator`): whoever writes the database can't give a token another
/// role, revive a revoked one, or rewrite the policy in force. On both stores.
@Suite("Row tags: tokens and policy versions changed in the database are refused")
struct RowTagTests {
    /// Runs `sql` on the vault's database behind the store's back, as someone with write
    /// access to the database could.
    static func behindTheStore(_ t: TemporaryVault, _ sql: String) async throws {
        switch t.backend {
        case .postgres:
            let connection = try await TestPostgres.connect(to: try #require(t.postgres))
            defer { Task { try? await connection.close() } }
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestPostgres.logger)
        case .sqlite:
            // Other vaults open on the file may hold a read snapshot for a moment: wait for them.
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            let queue = try DatabaseQueue(path: t.databasePath, configuration: configuration)
            try await queue.write { try $0.execute(sql: sql) }
            try queue.close()
            // Written by another connection: the store's per-request reads see it within this bound.
            try await Task.sleep(for: SQLiteVaultStore.foreignCommitVisibility + .milliseconds(20))
        }
    }

    static func uncached(_ vault: ProfileVault) -> TokenService {
        TokenService(store: vault.store, keys: vault.keys, policies: vault.policies, cacheLifetime: .zero)
    }

    @Test("a token given another role, source or name in the database is an integrity error, not a principal", arguments: StorageBackend.allCases)
    func tokenRowChanged(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let tokens = Self.uncached(t.vault)
        for (column, value) in [("role", "'compliance'"), ("principal", "'someone-else'"), ("source", "'crm'")] {
            let created = try await t.vault.tokens.create(principal: "agent-\(column)", kind: .role(RoleName("support")), caller: tester)
            let bearer = created.token.unsafeValue
            #expect(try await tokens.authenticate(bearer)?.name == "agent-\(column)")
            try await Self.behindTheStore(t, "UPDATE tokens SET \(column) = \(value) WHERE token_id = '\(created.record.id.uuidString.lowercased())'")
            await #expect(throws: RowIntegrityError.self, "\(column) changed") { try await tokens.authenticate(bearer) }
        }
        let admin = Caller(requestID: "list", principal: "admin", role: .admin)
        #expect(try await t.vault.tokens.list(caller: admin, audit: t.vault.audit).isEmpty, "changed rows are never listed")
        var query = AuditQuery()
        query.action = "integrity.error"
        #expect(try await t.vault.audit.entries(query).count == 1, "the list's refusal is audited")
    }

    @Test("a revoked token revived in the database stays refused", arguments: StorageBackend.allCases)
    func revokedTokenRevived(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let tokens = Self.uncached(t.vault)
        let created = try await t.vault.tokens.create(principal: "leaver", kind: .role(RoleName("compliance")), caller: tester)
        #expect(try await t.vault.tokens.revoke(created.record.id, caller: tester))
        #expect(try await tokens.authenticate(created.token.unsafeValue) == nil)
        try await Self.behindTheStore(t, "UPDATE tokens SET revoked_at = NULL")
        await #expect(throws: RowIntegrityError.self) { try await tokens.authenticate(created.token.unsafeValue) }
    }

    @Test(
        "a request whose status or receipt was changed in the database is never served; an erasure's completed row carries its tag",
        arguments: StorageBackend.allCases)
    func requestRowChanged(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let subject = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "rex@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        func open(_ kind: RequestKind) async throws -> UUID {
            try await t.vault.requests.open(.init(kind: kind, regulation: .gdpr, subjectID: subject, identifiers: nil, receivedAt: nil), caller: tester).id
        }
        let access = try await open(.access)
        try await Self.behindTheStore(t, "UPDATE requests SET status = 'rejected' WHERE request_id = '\(access.uuidString.lowercased())'")
        await #expect(throws: RowIntegrityError.self) { try await t.vault.requests.get(access, caller: tester) }

        let erasure = try await open(.erasure)
        _ = try await t.vault.requests.verify(erasure, method: "email_link", caller: tester)
        _ = try await t.vault.requests.execute(erasure, caller: tester)
        #expect(try await t.vault.requests.get(erasure, caller: tester).status == .completed, "the erasure's own completion is tagged")
        try await Self.behindTheStore(t, "UPDATE requests SET receipt = 'forged' WHERE request_id = '\(erasure.uuidString.lowercased())'")
        await #expect(throws: RowIntegrityError.self) { try await t.vault.requests.get(erasure, caller: tester) }
    }

    @Test("a revocation computed from a row that changed meanwhile is not written (its tag would never match)", arguments: StorageBackend.allCases)
    func revocationOfAChangedRowMisses(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let created = try await t.vault.tokens.create(principal: "racer", kind: .role(RoleName("support")), caller: tester)
        let audit = AuditWrite(draft: tester.draft("token.revoke"), chain: t.vault.keys.auditChain)
        let stale = try await t.vault.store.revokeToken(
            id: created.record.id, at: Date(), mac: [UInt8](repeating: 7, count: 32),
            expectedMAC: [UInt8](repeating: 9, count: 32), audit: audit)
        #expect(!stale)
        #expect(try await Self.uncached(t.vault).authenticate(created.token.unsafeValue)?.name == "racer", "the row is as it was")
        #expect(try await t.vault.tokens.revoke(created.record.id, caller: tester))
        #expect(try await Self.uncached(t.vault).authenticate(created.token.unsafeValue) == nil)
    }

    @Test("a token created before a master-key rotation authenticates after it and after a restart", arguments: StorageBackend.allCases)
    func tokenSurvivesRotation(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let created = try await t.vault.tokens.create(principal: "steady", kind: .role(RoleName("support")), caller: tester)
        #expect(try await t.vault.rotation.rotate(caller: tester) == 2)
        while try await t.vault.rotation.rewrapBatch(limit: 50) > 0 {}
        let reopened = try await t.reopen()
        #expect(reopened.keys.keyring.activeVersion == 2)
        #expect(try await Self.uncached(reopened).authenticate(created.token.unsafeValue)?.name == "steady")
    }

    @Test("a policy version rewritten in the database is not adopted by a refresh and stops a start", arguments: StorageBackend.allCases)
    func policyVersionChanged(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let other = try await t.reopen()
        let admin = Caller(requestID: "policy", principal: "admin", role: .admin)
        var files = t.vault.policies.current.files
        let name = try #require(files.keys.sorted().first { $0.hasSuffix(".yaml") })
        files[name, default: ""] += "\n# row tags: a new version\n"
        #expect(try await t.vault.policyService.apply(files: files, caller: admin).version.number == 2)
        try await Self.behindTheStore(t, "UPDATE policy_versions SET applied_by = 'not-admin' WHERE version = 2")
        await #expect(throws: RowIntegrityError.self) { try await other.policyService.refresh() }
        #expect(other.policies.active.number == 1, "the version in force stays")
        await #expect(throws: RowIntegrityError.self) { try await t.reopen() }
    }

    /// The tag columns dropped and their migration forgotten, as the release before tags left
    /// the database (or as a database writer could make it look).
    static func dropTags(_ t: TemporaryVault) async throws {
        let (table, migration) = t.backend == .sqlite ? ("grdb_migrations WHERE identifier", "v11-row-tags") : ("pv_migrations WHERE id", "v6-row-tags")
        try await behindTheStore(t, "ALTER TABLE tokens DROP COLUMN mac")
        try await behindTheStore(t, "ALTER TABLE policy_versions DROP COLUMN mac")
        try await behindTheStore(t, "DELETE FROM \(table) = '\(migration)'")
    }

    @Test(
        "rows written before row tags are tagged once; an untagged row afterwards is refused, even with the columns added again",
        arguments: StorageBackend.allCases)
    func upgradeTagsOldRowsOnce(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let created = try await t.vault.tokens.create(principal: "old-timer", kind: .role(RoleName("support")), caller: tester)
        // The release before tags: no columns, no rows.tag entry, no marker.
        try await Self.dropTags(t)
        try await Self.behindTheStore(t, "DELETE FROM audit_log WHERE action = 'rows.tag'")
        try FileManager.default.removeItem(at: t.directory.appendingPathComponent(RowTagsInForce.markerName))
        do {
            // In a scope of its own: on SQLite the next open's checkpoint waits for this vault's readers.
            let upgraded = try await t.reopen()
            #expect(try await Self.uncached(upgraded).authenticate(created.token.unsafeValue)?.name == "old-timer")
            var query = AuditQuery()
            query.action = "rows.tag"
            #expect(
                try await upgraded.audit.entries(query).map(\.draft.detail)
                    == ["row tags in force: 1 tokens, 1 policy versions and 0 requests written before them were tagged"])
        }

        // A database writer gives the token another role and makes the columns look new: not
        // tagged again, so the untagged policy version in force stops the start.
        try await Self.dropTags(t)
        try await Self.behindTheStore(t, "UPDATE tokens SET role = 'compliance'")
        await #expect(throws: RowIntegrityError.self) { try await t.reopen() }
        // A node without the marker (a new replica on PostgreSQL) finds the rows.tag entry on the
        // chain instead. (SQLite has one node; its refused open above still holds the file.)
        if backend == .postgres {
            try FileManager.default.removeItem(at: t.directory.appendingPathComponent(RowTagsInForce.markerName))
            await #expect(throws: RowIntegrityError.self) { try await t.reopen() }
        }
    }
}

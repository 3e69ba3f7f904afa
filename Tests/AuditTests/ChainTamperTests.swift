import Audit
import Foundation
import GRDB
import Testing
import Vault
import VaultTestSupport

/// Each tampering is done on the real SQLite file through a second connection, as someone
/// with write access to the database (but not the audit key) would.
@Suite("Audit chain: verification and tampering")
struct ChainTamperTests {
    @Test("an untouched chain verifies, entry by entry")
    func untouched() async throws {
        let (t, _, _) = try await auditedVault()
        defer { t.remove() }
        let report = try await t.vault.audit.verify()
        #expect(report.valid)
        #expect(report.entries >= 6)
    }

    @Test("a modified entry is detected at its sequence number")
    func modified() async throws {
        let (t, pool, _) = try await auditedVault()
        defer { t.remove() }
        try await pool.write { try $0.execute(sql: "UPDATE audit_log SET principal = 'mallory' WHERE seq = 3") }
        let report = try await t.vault.audit.verify()
        #expect(report.problem == .hashMismatch && report.firstInvalid == 3)
    }

    @Test("a deleted entry is detected")
    func deleted() async throws {
        let (t, pool, _) = try await auditedVault()
        defer { t.remove() }
        try await pool.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq = 3") }
        let report = try await t.vault.audit.verify()
        #expect(report.problem == .sequenceGap && report.firstInvalid == 4)
    }

    @Test("an inserted entry is detected, even renumbered to close the gap")
    func inserted() async throws {
        let (t, pool, _) = try await auditedVault()
        defer { t.remove() }
        try await pool.write { db in
            try db.execute(sql: "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 3")
            try db.execute(sql: "UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1000")
            // A forged entry at 3 that links to entry 2's hash; without the audit key its own hash can't be right.
            try db.execute(
                sql: """
                    INSERT INTO audit_log (seq, at, request_id, principal, action, subject_ids, fields, outcome, prev_hash, hash)
                    SELECT 3, at, 'forged', 'mallory', 'subject.view', '[]', '[]', 'ok', hash, randomblob(32) FROM audit_log WHERE seq = 2
                    """)
        }
        let report = try await t.vault.audit.verify()
        #expect(report.problem == .hashMismatch && report.firstInvalid == 3)
    }

    @Test("reordered entries are detected")
    func reordered() async throws {
        let (t, pool, _) = try await auditedVault()
        defer { t.remove() }
        try await pool.write { db in
            try db.execute(sql: "UPDATE audit_log SET seq = -1 WHERE seq = 3")
            try db.execute(sql: "UPDATE audit_log SET seq = 3 WHERE seq = 4")
            try db.execute(sql: "UPDATE audit_log SET seq = 4 WHERE seq = -1")
        }
        let report = try await t.vault.audit.verify()
        #expect(!report.valid && report.firstInvalid == 3)
    }

    @Test("a truncated tail is detected against the signed anchor")
    func truncatedTail() async throws {
        let (t, pool, _) = try await auditedVault()
        defer { t.remove() }
        let anchor = try #require(try await t.vault.audit.anchor())
        #expect(anchor.isAuthentic(trusting: t.vault.audit.publicKey))
        try await pool.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq > 4") }
        let report = try await t.vault.audit.verify()
        #expect(report.problem == .truncated && report.anchoredSeq == anchor.seq)
    }

    @Test("a tail cut and continued past an older anchor: verify checks every anchor, not the last")
    func cutAndContinued() async throws {
        let (t, pool, _) = try await auditedVault()
        defer { t.remove() }
        let first = try #require(try await t.vault.audit.anchor())
        try await pool.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq > ?", arguments: [first.seq - 3]) }
        // The chain goes on from the shortened head, reusing the deleted sequence numbers, and a
        // newer anchor signs that head: the newest anchor alone would call it valid.
        for i in 0..<5 {
            _ = try await t.vault.ingest.ingest(records: [record("crm-next-\(i)", ["email": "next\(i)@example.com"])], from: crm, caller: caller(50 + i))
        }
        let second = try #require(try await t.vault.audit.anchor())
        #expect(second.seq > first.seq)
        let report = try await t.vault.audit.verify()
        #expect(report.problem == .anchorMismatch && report.firstInvalid == first.seq, "\(report)")
        #expect(report.anchors == 2)
    }

    @Test("the vault refuses to start over a chain cut behind an anchor, and names the anchored sequence")
    func startRefusesCutChain() async throws {
        let (t, pool, _) = try await auditedVault()
        defer { t.remove() }
        let anchor = try #require(try await t.vault.audit.anchor())
        try await pool.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq > ?", arguments: [anchor.seq - 5]) }
        try pool.close()
        await #expect(throws: AuditLogError.self) { _ = try await t.reopen() }
        do { _ = try await t.reopen() } catch {
            #expect("\(error)".contains("anchored at sequence \(anchor.seq)"), "\(error)")
        }
    }

    @Test("the vault starts over an intact chain with several anchors")
    func startAcceptsIntactChain() async throws {
        let (t, _, _) = try await auditedVault(writes: 3)
        defer { t.remove() }
        _ = try #require(try await t.vault.audit.anchor())
        _ = try await t.vault.ingest.ingest(records: [record("crm-y", ["email": "y@example.com"])], from: crm, caller: caller(98))
        _ = try #require(try await t.vault.audit.anchor())
        let reopened = try await t.reopen()
        #expect(try await reopened.audit.verify().valid)
    }

    @Test("a forged anchor is rejected")
    func forgedAnchor() async throws {
        let (t, _, _) = try await auditedVault()
        defer { t.remove() }
        let anchor = try #require(try await t.vault.audit.anchor())
        let file = t.vault.audit.anchorsFile
        var text = try String(contentsOf: file, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"seq\":\(anchor.seq)", with: "\"seq\":\(anchor.seq - 1)")
        #expect(text.contains("\"seq\":\(anchor.seq - 1)"))
        try text.write(to: file, atomically: true, encoding: .utf8)
        let report = try await t.vault.audit.verify()
        #expect(report.problem == .anchorSignature)
    }

    @Test("the chain continues across a restart and still verifies")
    func restart() async throws {
        let (t, _, _) = try await auditedVault(writes: 3)
        defer { t.remove() }
        let anchor = try #require(try await t.vault.audit.anchor())
        let reopened = try await t.reopen()
        _ = try await reopened.ingest.ingest(records: [record("crm-x", ["email": "x@example.com"])], from: crm, caller: caller(99))
        let report = try await reopened.audit.verify()
        #expect(report.valid && report.entries == anchor.seq + 1 && report.anchoredSeq == anchor.seq)
    }
}

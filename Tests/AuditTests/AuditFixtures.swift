import Foundation
import GRDB
import Vault
import VaultModel
import VaultTestSupport

func caller(_ n: Int) -> Caller { Caller(requestID: "req-\(n)", principal: "tester", role: .compliance) }

/// A vault with `count` audited writes and reads, and a second connection to its file for tampering.
func auditedVault(writes count: Int = 6) async throws -> (TemporaryVault, DatabasePool, [SubjectID]) {
    let t = try await TemporaryVault.make()
    var ids: [SubjectID] = []
    for i in 0..<count {
        let result = try await t.vault.ingest.ingest(
            records: [record("crm-\(i)", ["email": "person\(i)@example.com", "first_name": "P\(i)"])],
            from: crm, caller: caller(i))
        ids.append(result[0].outcome.subjectID)
    }
    return (t, try DatabasePool(path: t.databasePath), ids)
}

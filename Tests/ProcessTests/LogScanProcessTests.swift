import Foundation
import Testing
import Vault

@Suite("logs carry no personal data", .serialized)
struct LogScanProcessTests {
    @Test("a demo run at debug level with views, lookups, a segment query and errors logs none of the demo set's values")
    func scanLogs() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let vaultd = VaultdProcess(dataDirectory: data, arguments: ["--demo", "--demo-people", "200", "--log-level", "debug"])
        try await vaultd.start()
        func token(_ principal: String) -> String {
            let line = vaultd.output.split(separator: "\n").first { $0.contains(principal) } ?? ""
            return String(line.split(separator: " ").last ?? "")
        }
        let compliance = token("demo-compliance")
        let support = token("demo-support ")
        let crm = token("demo-crm-sync")
        let dataset = DemoDataset.generate(people: 200)
        let emails = dataset.records.compactMap { $0.fields["email"] }.prefix(20)
        var viewed = 0
        for email in emails {
            let found = try vaultctl(["lookup", "--email", email, "--json"], address: vaultd.address, token: compliance)
            if let ids = (try? JSONSerialization.jsonObject(with: Data(found.out.utf8)) as? [String: Any])?["subject_ids"] as? [String], let id = ids.first {
                let view = try vaultctl(
                    ["view", id, "--purpose", "essential.service.operations.support", "--explain"], address: vaultd.address, token: support)
                if view.status == 0 { viewed += 1 }
            }
        }
        #expect(viewed >= 15, "views were served and logged")
        // Refused input must not be echoed into the logs either.
        let bad = data.appendingPathComponent("bad.jsonl")
        try #"{"key": "crm-bad", "fields": {"email": "not-an-email-secretvalue", "emial": "typo@secret.example"}}"#.write(
            to: bad, atomically: true, encoding: .utf8)
        _ = try vaultctl(["import", "--source", "crm", bad.path], address: vaultd.address, token: crm)
        try FileManager.default.removeItem(at: bad)
        #expect(vaultd.terminate() == 0)

        let logs = vaultd.readErrors()
        #expect(logs.contains("request") && logs.contains("route="), "the request log was captured")
        var planted: Set<String> = ["not-an-email-secretvalue", "typo@secret.example"]
        for record in dataset.records {
            for value in record.fields.values where value.trimmingCharacters(in: .whitespaces).count >= 6 {
                planted.insert(value.trimmingCharacters(in: .whitespaces))
            }
        }
        let leaks = planted.filter { logs.contains($0) }
        #expect(leaks.isEmpty, "\(leaks.count) values in the logs: \(leaks.prefix(5))")
        #expect(planted.count > 500)
    }
}

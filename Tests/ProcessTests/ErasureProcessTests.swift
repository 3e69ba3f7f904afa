import Foundation
import Testing

@Suite("erasure with real processes", .serialized)
struct ErasureProcessTests {
    static let rootToken = "pv-test-root-token-erasure-01"
    static let values = [
        "yara.voss@example.org", "+14155550199", "Yara", "Voss-Lindqvist", "1979-03-08", "12 Fjord Street",
        "Y-778899", "yv-device-42", "crm-yv-7", "bill-yv-7", "sup-yv-7", "web-yv-7",
    ]

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Starts vaultd, loads one person from four sources (and a few others), returns tokens and the subject.
    static func seed(_ vaultd: VaultdProcess, data: URL) throws -> (compliance: String, subject: String, sources: [String: String]) {
        func token(_ args: [String]) throws -> String {
            try json(try vaultctl(["token", "create", "--json"] + args, address: vaultd.address, token: rootToken).out)["token"] as! String
        }
        let compliance = try token(["--principal", "dpo", "--role", "compliance"])
        var sources: [String: String] = [:]
        let lines = [
            "crm":
                #"{"key": "crm-yv-7", "fields": {"email": "yara.voss@example.org", "first_name": "Yara", "last_name": "Voss-Lindqvist", "birth_date": "1979-03-08", "street_address": "12 Fjord Street", "customer_id": "Y-778899"}}"#
                + "\n" + #"{"key": "crm-other-1", "fields": {"email": "other.person@example.org", "first_name": "Other"}}"#,
            "billing": #"{"key": "bill-yv-7", "fields": {"customer_id": "Y-778899", "card_last4": "9911"}}"#,
            "support": #"{"key": "sup-yv-7", "fields": {"email": "Yara.Voss@example.org", "phone": "(415) 555-0199"}}"#,
            "web": #"{"key": "web-yv-7", "fields": {"device_id": "YV-DEVICE-42", "phone": "415 555 0199"}}"#,
        ]
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (source, content) in lines {
            sources[source] = try token(["--principal", "\(source)-sync", "--source", source])
            let file = data.appendingPathComponent("\(source).jsonl")
            try content.write(to: file, atomically: true, encoding: .utf8)
            let imported = try vaultctl(["import", "--source", source, file.path], address: vaultd.address, token: sources[source]!)
            #expect(imported.status == 0, "\(imported.err)")
            try FileManager.default.removeItem(at: file)
        }
        let found = try json(try vaultctl(["lookup", "--email", "yara.voss@example.org", "--json"], address: vaultd.address, token: compliance).out)
        let ids = try #require(found["subject_ids"] as? [String])
        #expect(ids.count == 1)
        let view = try json(try vaultctl(["view", ids[0], "--purpose", "essential", "--json"], address: vaultd.address, token: compliance).out)
        #expect((view["sources"] as? [String]) == ["billing", "crm", "support", "web"])
        return (compliance, ids[0], sources)
    }

    static func grepData(_ data: URL, logs: String) -> [String] {
        var leaks: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: data.path)) ?? []
        for name in names {
            guard let content = FileManager.default.contents(atPath: data.appendingPathComponent(name).path) else { continue }
            for value in values where content.range(of: Data(value.utf8)) != nil { leaks.append("\(value) in \(name)") }
        }
        for value in values where logs.contains(value) { leaks.append("\(value) in the logs") }
        return leaks
    }

    @Test("vaultctl request open/verify/execute/receipt --verify; nothing of the person left in the data directory or the logs")
    func erasureThroughCLI() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let vaultd = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken, "PROFILEVAULT_LOG_LEVEL": "debug"])
        try await vaultd.start()
        let (compliance, subject, sources) = try Self.seed(vaultd, data: data)
        let opened = try vaultctl(
            ["request", "open", "--kind", "erasure", "--regulation", "gdpr", "--subject-id", subject, "--json"],
            address: vaultd.address, token: compliance)
        #expect(opened.status == 0, "\(opened.err)")
        let id = try Self.json(opened.out)["id"] as! String
        #expect(try vaultctl(["request", "execute", id], address: vaultd.address, token: compliance).status == 1, "not verified yet")
        #expect(try vaultctl(["request", "verify", id, "--method", "email_link"], address: vaultd.address, token: compliance).status == 0)
        let executed = try vaultctl(["request", "execute", id], address: vaultd.address, token: compliance)
        #expect(executed.status == 0 && executed.out.contains("completed"), "\(executed.out)\(executed.err)")
        let receipt = try vaultctl(["request", "receipt", id, "--verify"], address: vaultd.address, token: compliance)
        #expect(receipt.status == 0 && receipt.out.contains("Signature valid"), "\(receipt.out)\(receipt.err)")
        let list = try vaultctl(["request", "list"], address: vaultd.address, token: compliance)
        #expect(list.out.contains(id) && list.out.contains("completed"))
        let resend = data.appendingPathComponent("resend.jsonl")
        try #"{"key": "crm-yv-8", "fields": {"email": "yara.voss@example.org"}}"#.write(to: resend, atomically: true, encoding: .utf8)
        let again = try Self.json(try vaultctl(["import", "--source", "crm", "--json", resend.path], address: vaultd.address, token: sources["crm"]!).out)
        #expect(again["suppressed"] as? Int == 1 && again["created"] as? Int == 0)
        try FileManager.default.removeItem(at: resend)
        #expect(vaultd.terminate() == 0)
        let leaks = Self.grepData(data, logs: vaultd.output + vaultd.readErrors())
        #expect(leaks.isEmpty, "\(leaks)")
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("erasure-ledger.jsonl").path))
    }

    @Test("kill -9 in the middle of an erasure, then restart: the subject is fully erased and the request completed")
    func crashMidErasure() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = VaultdProcess(
            dataDirectory: data,
            environment: [
                "PROFILEVAULT_ROOT_TOKEN": Self.rootToken,
                "PROFILEVAULT_FAULT_INJECTION": "erasure-after-ledger",
            ])
        try await first.start()
        let (compliance, subject, _) = try Self.seed(first, data: data)
        let opened = try vaultctl(
            ["request", "open", "--kind", "erasure", "--regulation", "ccpa", "--subject-id", subject, "--json"],
            address: first.address, token: compliance)
        let id = try Self.json(opened.out)["id"] as! String
        _ = try vaultctl(["request", "verify", id, "--method", "account_login"], address: first.address, token: compliance)
        let crashed = try vaultctl(["request", "execute", id], address: first.address, token: compliance)
        #expect(crashed.status != 0, "the connection dies with vaultd")
        #expect(first.waitForExit() != 0, "vaultd was killed at the fault point")

        let second = VaultdProcess(dataDirectory: data)
        try await second.start()
        let shown = try Self.json(try vaultctl(["request", "show", id, "--json"], address: second.address, token: compliance).out)
        #expect(shown["status"] as? String == "completed")
        let view = try vaultctl(["view", subject, "--purpose", "essential"], address: second.address, token: compliance)
        #expect(view.status == 1 && view.err.contains("Not found"))
        let other = try Self.json(try vaultctl(["lookup", "--email", "other.person@example.org", "--json"], address: second.address, token: compliance).out)
        #expect((other["subject_ids"] as? [String])?.count == 1, "other people are untouched")
        #expect(try vaultctl(["request", "receipt", id, "--verify"], address: second.address, token: compliance).status == 0)
        let verify = try vaultctl(["audit", "verify"], address: second.address, token: Self.rootToken)
        #expect(verify.status == 0)
        #expect(second.terminate() == 0)
        let leaks = Self.grepData(data, logs: first.output + second.output + second.readErrors())
        #expect(leaks.isEmpty, "\(leaks)")
    }
}

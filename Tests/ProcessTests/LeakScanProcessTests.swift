import Foundation
import Testing
import Vault

/// The leak scan of the reliability suite: a demo run with ingest, views, access exports
/// and erasures, then every byte vaultd left behind is searched. Erased people's values
/// must be nowhere (database, WAL, anchors, logs, metrics, audit log); nobody's values may
/// be in the logs, the metrics or the audit log.
@Suite("leak scan after a full demo run", .serialized)
struct LeakScanProcessTests {
    static let rootToken = "pv-test-root-token-leak-scan-01"
    static let people = 150

    /// Every string under a "value" key, at any depth (export fields and their alternatives).
    static func values(in node: Any) -> [String] {
        switch node {
        case let object as [String: Any]:
            return object.flatMap { key, value in key == "value" ? [value as? String].compactMap { $0 } : Self.values(in: value) }
        case let array as [Any]:
            return array.flatMap { Self.values(in: $0) }
        default:
            return []
        }
    }

    @Test("erased people's values: 0 hits anywhere; anyone's values: 0 hits in logs, metrics and the audit log")
    func leakScan() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let vaultd = VaultdProcess(
            dataDirectory: data, arguments: ["--demo", "--demo-people", "\(Self.people)", "--log-level", "debug", "--lookups-per-minute", "100000"],
            environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken, "PROFILEVAULT_LOG_LEVEL": "debug"])
        try await vaultd.start()
        let compliance = printedToken(vaultd.output, "demo-compliance")
        let support = printedToken(vaultd.output, "demo-support ")
        let http = ProcessHTTP(address: vaultd.address)
        let dataset = DemoDataset.generate(people: Self.people)
        let byPerson = Dictionary(grouping: dataset.records, by: \.person)

        func subject(of person: Int) async throws -> String? {
            guard let email = byPerson[person]?.compactMap({ $0.fields["email"] }).first else { return nil }
            let found = try await http.object("POST", "/v1/subjects/lookup", token: compliance, json: #"{"identifiers": {"email": "\#(email)"}}"#)
            let ids = found["subject_ids"] as? [String] ?? []
            return ids.count == 1 ? ids[0] : nil
        }
        func completed(_ kind: String, _ subject: String) async throws -> String {
            let opened = try await http.object(
                "POST", "/v1/requests", token: compliance, json: #"{"kind": "\#(kind)", "regulation": "gdpr", "subject_id": "\#(subject)"}"#)
            let id = try #require(opened["id"] as? String)
            _ = try await http.call("POST", "/v1/requests/\(id)/verify", token: compliance, json: #"{"method": "id_document"}"#)
            let executed = try await http.call("POST", "/v1/requests/\(id)/execute", token: compliance)
            #expect(executed.status == 200)
            return id
        }

        // Views by support for 40 people.
        var views = 0
        for person in 0..<40 {
            guard let id = try await subject(of: person) else { continue }
            if try await http.call("GET", "/v1/subjects/\(id)", token: support, purpose: "essential.service.operations.support").status == 200 { views += 1 }
        }
        // Access exports; the people whose subject holds exactly their own records are erased.
        var erasedPeople: [Int] = []
        var erasedValues: Set<String> = []
        var exports = 0
        var erasedExports = Data()
        for person in 40..<90 where erasedPeople.count < 6 {
            guard let id = try await subject(of: person), let records = byPerson[person] else { continue }
            let request = try await completed("access", id)
            let body = try await http.call("GET", "/v1/requests/\(request)/export", token: compliance).body
            let export = try JSONSerialization.jsonObject(with: body)
            exports += 1
            let exported = Set(Self.values(in: (export as? [String: Any])?["fields"] ?? []))
            let sources = Set((export as? [String: Any])?["sources"] as? [String] ?? [])
            let own = Set(records.flatMap { $0.fields.values }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
            let digits = Set(own.map { $0.filter(\.isNumber) })
            let onlyOwn = exported.allSatisfy { own.contains($0.lowercased()) || digits.contains($0.filter(\.isNumber)) }
            guard sources == Set(records.map(\.source)), onlyOwn else { continue }
            _ = try await completed("erasure", id)
            erasedPeople.append(person)
            erasedExports += body
            erasedValues.formUnion(exported)
            erasedValues.formUnion(records.flatMap { $0.fields.values }.map { $0.trimmingCharacters(in: .whitespaces) })
        }
        #expect(erasedPeople.count >= 3, "found too few people with a subject of their own")
        // Values other people also have (a common first name, a city) may stay.
        let others = Set(
            dataset.records.filter { !erasedPeople.contains($0.person) }.flatMap { $0.fields.values }
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        let mustBeGone = erasedValues.filter { $0.count >= 6 && !others.contains($0.lowercased()) }

        // The control: the same search finds these values in the exports taken before erasure.
        #expect(mustBeGone.filter { erasedExports.range(of: Data($0.utf8)) != nil }.count * 2 >= mustBeGone.count, "the scan would not see the values")

        let metrics = String(decoding: try await http.call("GET", "/metrics").body, as: UTF8.self)
        var audit = ""
        var after = "0"
        while true {
            let page = try await http.object("GET", "/v1/audit?after=\(after)&limit=500", token: Self.rootToken)
            audit += String(decoding: try JSONSerialization.data(withJSONObject: page), as: UTF8.self)
            guard let next = page["next_after"] as? String else { break }
            after = next
        }
        #expect(vaultd.terminate() == 0)
        let logs = vaultd.output + vaultd.readErrors()

        var erasedHits: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: data.path)
        var scannedFiles = 0
        while let name = enumerator?.nextObject() as? String {
            guard let content = FileManager.default.contents(atPath: data.appendingPathComponent(name).path) else { continue }
            scannedFiles += 1
            for value in mustBeGone where content.range(of: Data(value.utf8)) != nil { erasedHits.append("\(name): an erased value") }
        }
        for (name, text) in [("logs", logs), ("metrics", metrics), ("audit log", audit)] {
            for value in mustBeGone where text.contains(value) { erasedHits.append("\(name): an erased value") }
        }
        #expect(erasedHits.isEmpty, "\(erasedHits.count) hits: \(erasedHits.prefix(5))")

        let everyone = Set(dataset.records.flatMap { $0.fields.values }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.count >= 6 })
        var hits: [String] = []
        for (name, text) in [("logs", logs), ("metrics", metrics), ("audit log", audit)] {
            hits += everyone.filter { text.contains($0) }.map { _ in name }
        }
        #expect(hits.isEmpty, "\(hits.count) values found in \(Set(hits).sorted())")
        #expect(views >= 30 && exports >= 3 && audit.count > 10_000 && logs.contains("route="))
        print(
            "Leak scan: \(views) views, \(exports) exports, \(erasedPeople.count) erasures; \(mustBeGone.count) erased values × \(scannedFiles) files + logs, metrics, audit log: \(erasedHits.count) hits; \(everyone.count) values of everyone in logs (\(logs.count) bytes), metrics, audit log (\(audit.count) bytes): \(hits.count) hits"
        )
    }
}

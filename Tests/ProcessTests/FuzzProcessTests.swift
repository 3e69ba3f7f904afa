import Foundation
import Testing
import VaultTestSupport

/// The fuzz of "HTTP: property-based fuzzing" once more against a real vaultd over
/// loopback: the same mutated bodies must never crash the process or answer 5xx.
@Suite("fuzzing a real vaultd", .serialized)
struct FuzzProcessTests {
    @Test("1,000 mutated ingest, consent and lookup bodies: no 5xx, no crash, the marker never echoed")
    func mutatedBodies() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let root = "pv-test-root-token-fuzz-process-1"
        let vaultd = VaultdProcess(dataDirectory: data, arguments: ["--lookups-per-minute", "100000"], environment: ["PROFILEVAULT_ROOT_TOKEN": root])
        try await vaultd.start()
        let crm = try createToken(["--principal", "crm-sync", "--source", "crm"], address: vaultd.address, root: root)
        let dpo = try createToken(["--principal", "dpo", "--role", "compliance"], address: vaultd.address, root: root)
        let marker = "fuzz.process.4417@example.com"
        let templates = [
            (
                "/v1/sources/crm/records", crm,
                #"{"records": [{"key": "f-1", "fields": {"email": "\#(marker)", "phone": "(415) 555-0100", "first_name": "Fuzz"}}]}"#
            ),
            (
                "/v1/sources/crm/consents", crm,
                #"{"consents": [{"key": "f-1", "purpose": "marketing.communications.email", "status": "granted", "lawful_basis": "consent"}]}"#
            ),
            ("/v1/subjects/lookup", dpo, #"{"identifiers": {"email": "\#(marker)"}}"#),
        ]
        let http = ProcessHTTP(address: vaultd.address)
        var statuses: [Int: Int] = [:]
        var rng = SplitMix(state: 20_261_123)
        for _ in 0..<1_000 {
            let (path, bearer, body) = templates[Int(rng.next() % UInt64(templates.count))]
            let (status, answer) = try await http.call("POST", path, token: bearer, bytes: BodyMutator.mutate(body, seed: rng.next()))
            statuses[status, default: 0] += 1
            #expect(status < 500, "\(path): \(status)")
            #expect(!String(decoding: answer, as: UTF8.self).contains(marker))
        }
        #expect(vaultd.process.isRunning)
        let verify = try vaultctl(["audit", "verify"], address: vaultd.address, token: root)
        #expect(verify.status == 0)
        #expect(vaultd.terminate() == 0)
        print(
            "Fuzz (real vaultd): 1,000 mutated bodies; statuses \(statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))")
    }
}

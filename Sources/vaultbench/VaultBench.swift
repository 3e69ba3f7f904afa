import Consent
import Foundation
import Policy
import Vault
import VaultModel

/// In-process benchmarks of the vault's own pipelines (release builds only:
/// `swift run -c release vaultbench`). Every figure is printed next to a baseline
/// measured in the same run, because these machines are shared and noisy.
@main
struct VaultBench {
    /// `vaultbench COMMAND DIR PEOPLE`: the two arguments, or a usage line and exit status 2.
    static func directoryAndPeople(command: String) -> (URL, Int) {
        let arguments = Array(CommandLine.arguments.dropFirst(2))
        guard arguments.count == 2, let people = Int(arguments[1]), people >= 0 else {
            FileHandle.standardError.write(Data("usage: vaultbench \(command) DIR PEOPLE\n".utf8))
            exit(2)
        }
        return (URL(fileURLWithPath: arguments[0]), people)
    }

    static func main() async throws {
        if CommandLine.arguments.dropFirst().first == "rewrap" {
            try await RewrapBench.run(people: Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 10_000)
            return
        }
        if CommandLine.arguments.dropFirst().first == "scale" {
            let (directory, people) = directoryAndPeople(command: "scale")
            try await ScaleBench.run(directory: directory, people: people)
            return
        }
        if CommandLine.arguments.dropFirst().first == "backends" {
            try await BackendsBench.run(
                people: Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 5_000,
                views: Int(CommandLine.arguments.dropFirst(3).first ?? "") ?? 20_000)
            return
        }
        if CommandLine.arguments.dropFirst().first == "crypto" {
            try CryptoFloorBench.run()
            return
        }
        if CommandLine.arguments.dropFirst().first == "ingest-batches" {
            let (directory, people) = directoryAndPeople(command: "ingest-batches")
            try await IngestBench.writeBatches(to: directory, people: people)
            return
        }
        if CommandLine.arguments.dropFirst().first == "ingest" {
            try await IngestBench.run(people: Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 10_000)
            return
        }
        if CommandLine.arguments.dropFirst().first == "erasure" {
            try await ErasureBench.run(
                people: Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 10_000,
                erasures: Int(CommandLine.arguments.dropFirst(3).first ?? "") ?? 50)
            return
        }
        let arguments = CommandLine.arguments
        let people = arguments.count > 1 ? Int(arguments[1]) ?? 2000 : 2000
        let reads = arguments.count > 2 ? Int(arguments[2]) ?? 20000 : 20000
        let concurrency = 16

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let policies = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("policies")
        let vault = try await ProfileVault.openSQLite(dataDirectory: directory, policies: policies)
        let dataset = DemoDataset.generate(people: people)

        let loadStart = ContinuousClock.now
        let summary = try await DemoLoader(vault: vault).load(dataset)
        let loadSeconds = seconds(ContinuousClock.now - loadStart)
        print(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; dataset: \(people) people, \(summary.records) records, \(summary.events) events, \(summary.subjects) subjects"
        )
        print(String(format: "ingest through the pipeline (batches of 500, with audit): %.0f records/s", Double(summary.records) / loadSeconds))

        let ids = Array(Set(summary.subjectOf.values)).sorted()
        let purpose = Purpose("essential.legal_obligation")!

        // Warm up the page cache and the statement caches.
        for id in ids.prefix(500) { _ = try await vault.reader.read(id) }

        let baseline = try await measure(reads, concurrency: concurrency) { i in
            _ = try await vault.reader.read(ids[i % ids.count])
        }
        let audited = try await measure(reads, concurrency: concurrency) { i in
            _ = try await vault.views.view(
                ids[i % ids.count], role: .compliance, purpose: purpose,
                caller: Caller(requestID: "bench-\(i)", principal: "bench", role: .compliance))
        }
        let supportPurpose = Purpose("essential.service.operations.support")!
        let support = try await measure(reads, concurrency: concurrency) { i in
            _ = try await vault.views.view(
                ids[i % ids.count], role: "support", purpose: supportPurpose,
                caller: Caller(requestID: "bench-s-\(i)", principal: "bench", role: "support"))
        }
        // The policy step alone: decisions by table lookup and actions over a decrypted profile.
        var profiles: [DecryptedProfile] = []
        for id in ids.prefix(200) { if let profile = try await vault.reader.read(id) { profiles.append(profile) } }
        let keys = vault.keys
        let evaluator = PolicyEvaluator(policy: vault.policies.current, pseudonym: { keys.pseudonym(field: $0, value: $1) })
        let goldens = profiles.map { ($0.fields.mapValues { $0.golden.value }, $0.consentState) }
        let now = Date()
        let policyRounds = 200_000
        let policyStart = ContinuousClock.now
        var shown = 0
        for i in 0..<policyRounds {
            let (fields, consent) = goldens[i % goldens.count]
            shown += evaluator.evaluate(fields: fields, role: "support", purpose: supportPurpose, consent: consent, at: now)?.count ?? 0
        }
        let policySeconds = seconds(ContinuousClock.now - policyStart)
        let fieldsPerView = Double(shown) / Double(policyRounds)
        let auditOnly = try await measure(reads, concurrency: concurrency) { i in
            try await vault.audit.record(
                Caller(requestID: "bench-a-\(i)", principal: "bench").draft("bench.append", subjects: [ids[i % ids.count].description]))
        }
        print(String(format: "load + decrypt + survivorship, no audit (baseline): %8.0f profiles/s", baseline))
        print(String(format: "compliance view with audit (group commit):         %8.0f views/s   ratio %.2f", audited, audited / baseline))
        print(String(format: "support view with audit (rules, masks, generalize): %8.0f views/s   ratio %.2f", support, support / baseline))
        print(
            String(
                format: "policy step alone (one core): %.2f µs per view of %.1f fields (%.0f ns per field)",
                policySeconds / Double(policyRounds) * 1e6, fieldsPerView, policySeconds / Double(shown) * 1e9))
        print(String(format: "audit append alone (group commit, %d concurrent):  %8.0f entries/s", concurrency, auditOnly))
        let verifyStart = ContinuousClock.now
        let report = try await vault.audit.verify()
        print(
            String(
                format: "audit verify: %lld entries in %.2f s (valid: %@)", report.entries, seconds(ContinuousClock.now - verifyStart),
                report.valid ? "yes" : "no"))
    }

    /// Operations per second of `count` calls spread over `concurrency` tasks.
    static func measure(_ count: Int, concurrency: Int, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var i = worker
                    while i < count {
                        try await operation(i)
                        i += concurrency
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(count) / seconds(ContinuousClock.now - start)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

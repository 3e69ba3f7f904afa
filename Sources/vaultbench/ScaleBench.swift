import Foundation
import Requests
import Vault
import VaultModel

/// How the vault behaves as it grows: `vaultbench scale DIR PEOPLE`.
///
/// Grows a persistent SQLite vault in DIR to PEOPLE demo people (resuming from the count in
/// `DIR/bench-people`), then measures at that size: support-view latency in process (one
/// client, 2,000 views of random subjects, then the same again cached), the ingest rate of the last chunk filled, erasure
/// latency (20) and the bench's resident memory. `benchmarks/scale.sh` runs it for several
/// sizes in one directory and measures `vaultd` over HTTP on the same store after each.
///
/// The fill goes through the real pipelines (validate, normalize, blind-index, resolve, seal,
/// audit), records then events of each source, in chunks of people generated with distinct
/// indices, so memory stays bounded however large the store grows.
enum ScaleBench {
    static let chunk = 20_000

    static func run(directory: URL, people target: Int) async throws {
        let policies = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("policies")
        let vault = try await ProfileVault.openSQLite(dataDirectory: directory, policies: policies)
        let progressFile = directory.appendingPathComponent("bench-people")
        var filled = Int((try? String(contentsOf: progressFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        var last: ChunkRate?
        let fillStart = ContinuousClock.now
        while filled < target {
            let count = min(chunk, target - filled)
            last = try await fill(vault, firstIndex: filled, people: count)
            filled += count
            try "\(filled)\n".write(to: progressFile, atomically: true, encoding: .utf8)
            let elapsed = VaultBench.seconds(ContinuousClock.now - fillStart)
            FileHandle.standardError.write(
                Data(
                    String(
                        format: "  filled %d of %d people (%.0f s; last chunk %.0f records/s, %.0f events/s)\n",
                        filled, target, elapsed, last!.recordsPerSecond, last!.eventsPerSecond
                    ).utf8))
        }
        let subjects = try await vault.subjects.count()
        let size = fileSize(directory.appendingPathComponent("vault.sqlite"))

        let sample = try await randomSubjects(vault, count: 2_000)
        // Two passes over the same subjects: the first finds the store as it is (a large file is
        // mostly not in the page cache on these VMs), the second with the subjects' pages cached.
        let purpose = Purpose("essential.service.operations.support")!
        var passes: [[Double]] = []
        for pass in 0..<2 {
            var latencies: [Double] = []
            for (i, id) in sample.enumerated() {
                let start = ContinuousClock.now
                _ = try await vault.views.view(
                    id, role: "support", purpose: purpose,
                    caller: Caller(requestID: "scale-\(pass)-\(i)", principal: "bench", role: "support"))
                latencies.append(VaultBench.seconds(ContinuousClock.now - start) * 1e6)
            }
            passes.append(latencies.sorted())
        }
        let (latencies, cached) = (passes[0], passes[1])

        var erasures: [Double] = []
        let compliance = Caller(requestID: "scale-erasure", principal: "bench", role: .compliance)
        for id in sample.suffix(20) {
            guard try await vault.subjects.exists(id) else { continue }
            let request = try await vault.requests.open(
                .init(kind: .erasure, regulation: .gdpr, subjectID: id, identifiers: nil, receivedAt: nil), caller: compliance)
            _ = try await vault.requests.verify(request.id, method: "bench", caller: compliance)
            let start = ContinuousClock.now
            _ = try await vault.requests.execute(request.id, caller: compliance)
            erasures.append(VaultBench.seconds(ContinuousClock.now - start) * 1000)
        }
        erasures.sort()

        // For the HTTP part of benchmarks/scale.sh: subjects to view and tokens to view them with.
        let erased = Set(sample.suffix(20))
        try sample.filter { !erased.contains($0) }.prefix(1_000).map(\.description).joined(separator: "\n")
            .write(to: directory.appendingPathComponent("sample-ids.txt"), atomically: true, encoding: .utf8)
        try await writeToken(vault, role: "support", to: directory.appendingPathComponent("support-token"))
        try await writeToken(vault, role: .compliance, to: directory.appendingPathComponent("compliance-token"))

        let rate = last.map { String(format: "%.0f records/s, %.0f events/s", $0.recordsPerSecond, $0.eventsPerSecond) } ?? "not filled in this run"
        print(
            String(
                format:
                    "scale %d people: %d subjects, %d MiB | view p50 %.0f µs p99 %.0f µs, cached p50 %.0f µs p99 %.0f µs (in process, one client) | ingest of the last chunk %@ | erasure p50 %.1f ms | bench RSS %d MiB",
                target, subjects, size / 1_048_576, latencies[latencies.count / 2], latencies[latencies.count * 99 / 100],
                cached[cached.count / 2], cached[cached.count * 99 / 100],
                rate, erasures.isEmpty ? 0 : erasures[erasures.count / 2], residentMiB()))
        if ProcessInfo.processInfo.environment["PV_JSON"] == "1" {
            print(
                "{\"people\": \(target), \"subjects\": \(subjects), \"mib\": \(size / 1_048_576), \"view_p50_us\": \(Int(latencies[latencies.count / 2])), "
                    + "\"view_p99_us\": \(Int(latencies[latencies.count * 99 / 100])), \"records_per_s\": \(Int(last?.recordsPerSecond ?? 0)), "
                    + "\"erasure_p50_ms\": \(erasures.isEmpty ? 0 : erasures[erasures.count / 2])}")
        }
    }

    struct ChunkRate {
        let recordsPerSecond: Double
        let eventsPerSecond: Double
    }

    /// Ingests `people` new demo people, records then events of each source, 500 per batch
    /// (the API's batch size in the issue); returns the records and events rates of the chunk.
    static func fill(_ vault: ProfileVault, firstIndex: Int, people: Int) async throws -> ChunkRate {
        let dataset = DemoDataset.generate(people: people, seed: UInt64(7 + firstIndex), firstIndex: firstIndex)
        var recordTime = Duration.zero
        var eventTime = Duration.zero
        /// Sends `items` in batches of 500 and returns the time spent in `send`.
        func timed(_ items: [JSONValue], _ send: ([JSONValue]) async throws -> Void) async throws -> Duration {
            var spent = Duration.zero
            for start in stride(from: 0, to: items.count, by: 500) {
                let began = ContinuousClock.now
                try await send(Array(items[start..<min(start + 500, items.count)]))
                spent += ContinuousClock.now - began
            }
            return spent
        }
        for source in DemoDataset.sources {
            let name = SourceName(source)!
            recordTime += try await timed(dataset.records.filter { $0.source == source }.map(\.json)) {
                _ = try await vault.ingest.ingest(records: $0, from: name, caller: .system("bench"))
            }
            eventTime += try await timed(dataset.events.filter { $0.source == source }.map(\.json)) {
                _ = try await vault.events.ingest(events: $0, from: name, caller: .system("bench"))
            }
        }
        return ChunkRate(
            recordsPerSecond: Double(dataset.records.count) / VaultBench.seconds(recordTime),
            eventsPerSecond: Double(dataset.events.count) / VaultBench.seconds(eventTime))
    }

    /// Distinct live subjects picked uniformly: the first id after a random UUID.
    static func randomSubjects(_ vault: ProfileVault, count: Int) async throws -> [SubjectID] {
        var picked: [SubjectID] = []
        var seen: Set<SubjectID> = []
        for _ in 0..<(count * 3) where picked.count < count {
            guard let id = try await vault.subjects.ids(after: SubjectID(UUID()), limit: 1).first, seen.insert(id).inserted else { continue }
            picked.append(id)
        }
        return picked
    }

    static func writeToken(_ vault: ProfileVault, role: RoleName, to file: URL) async throws {
        let created = try await vault.tokens.create(principal: "bench-\(role)", kind: .role(role), caller: .system("bench"))
        try created.token.unsafeValue.write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    }

    static func fileSize(_ url: URL) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
    }

    /// VmRSS of this process, from /proc.
    static func residentMiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }
}

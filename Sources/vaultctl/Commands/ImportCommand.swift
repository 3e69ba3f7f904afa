import ArgumentParser
import Foundation
import VaultAPI
import VaultClient
import VaultModel

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import records of one source from a CSV or JSON Lines file, in batches.",
        discussion: "Invalid records are reported by line and field (never by value) and skipped; the rest is imported. Exits 65 if any record was rejected.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Source the records come from; the token must be that source's ingest token.") var source: String
    @Option(name: .customLong("batch-size"), help: "Records per request.") var batchSize = 500
    @Argument(help: "File to import (.csv, or JSON Lines).") var file: String

    struct Summary: Codable {
        /// `accepted`: stored, outcome not revealed to this source (sources.yaml `reveal_outcome`).
        var records = 0, accepted = 0, created = 0, linked = 0, merged = 0, suppressed = 0, rejected = 0
        var rejections: [Rejection] = []
    }
    struct Rejection: Codable {
        let line: Int
        let field: String?
        let type: String
    }

    func run() async throws {
        try await reporting {
            guard (1...10_000).contains(batchSize) else { throw Failure.usage("--batch-size must be 1 to 10000") }
            let client = try connection.client(longRunning: true)
            let input = try ImportFile.read(path: file)
            var summary = Summary()
            let progress = ProgressBar(total: input.entries.count, label: "records")
            let started = Date()
            for start in stride(from: 0, to: input.entries.count, by: batchSize) {
                var batch = Array(input.entries[start..<min(start + batchSize, input.entries.count)])
                // A refused batch stores nothing; drop the records it names and send the rest again.
                for _ in 0..<2 where !batch.isEmpty {
                    do {
                        let response: IngestRecordsResponse = try await client.send(
                            "POST", "v1/sources/\(source)/records", body: IngestRecordsRequest(records: batch.map(\.record)))
                        for result in response.results {
                            switch result.outcome {
                            case "created": summary.created += 1
                            case "linked": summary.linked += 1
                            case "merged": summary.merged += 1
                            case "accepted": summary.accepted += 1
                            default: summary.suppressed += 1
                            }
                        }
                        summary.records += batch.count
                        batch = []
                    } catch ClientError.problem(let problem) where problem.status == 422 && problem.errors != nil {
                        let bad = Set(problem.errors!.compactMap(\.index))
                        for item in problem.errors! {
                            guard let index = item.index, index < batch.count else { continue }
                            summary.rejections.append(
                                Rejection(
                                    line: batch[index].line, field: item.field,
                                    type: ProblemBody(
                                        type: item.type, title: "", status: 422, detail: nil, request_id: nil
                                    ).slug))
                        }
                        summary.rejected += bad.count
                        summary.records += bad.count
                        batch = batch.enumerated().filter { !bad.contains($0.offset) }.map(\.element)
                    }
                }
                progress.update(min(start + batchSize, input.entries.count))
            }
            let seconds = Date().timeIntervalSince(started)
            if connection.json {
                try Output.json(summary)
            } else {
                for r in summary.rejections.prefix(50) { Output.line("line \(r.line): \(r.field ?? "record"): \(r.type)") }
                if summary.rejections.count > 50 { Output.line("… and \(summary.rejections.count - 50) more rejections") }
                Output.table(
                    ["RECORDS", "ACCEPTED", "CREATED", "LINKED", "MERGED", "SUPPRESSED", "REJECTED", "SECONDS"],
                    [
                        [summary.records, summary.accepted, summary.created, summary.linked, summary.merged, summary.suppressed, summary.rejected].map(
                            String.init)
                            + [String(format: "%.1f", seconds)]
                    ])
            }
            if summary.rejected > 0 { throw ExitCode(65) }
        }
    }
}

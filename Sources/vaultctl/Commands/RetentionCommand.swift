import ArgumentParser
import Foundation
import VaultAPI

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retention", abstract: "The retention sweep (admin).", subcommands: [RetentionRun.self])
}

struct RetentionRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the retention sweep now; --dry-run only counts.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(name: .customLong("dry-run"), help: "Count what would be deleted, delete nothing.") var dryRun = false

    func run() async throws {
        try await reporting {
            let report: RetentionReportBody = try await connection.client(longRunning: true).send(
                "POST", "v1/retention/run", body: RetentionRunBody(dry_run: dryRun))
            if connection.json {
                try Output.json(report)
                return
            }
            let rows =
                report.fields.sorted { $0.key < $1.key }.map { ["field", $0.key, String($0.value)] }
                + report.events.sorted { $0.key < $1.key }.map { ["event", $0.key, String($0.value)] }
                + (report.held_values > 0 ? [["held value", "(legal hold ended)", String(report.held_values)]] : [])
            Output.line(report.dry_run ? "Dry run: nothing deleted. Would delete:" : "Deleted:")
            if rows.isEmpty { Output.line("nothing is past its retention.") } else { Output.table(["KIND", "NAME", "COUNT"], rows) }
        }
    }
}

import Foundation
import Hummingbird
import Vault
import VaultAPI
import VaultModel

/// | method | path | who | what |
/// |---|---|---|---|
/// | POST | /v1/sources/{source}/records | ingest token of {source} | batch upsert of records, atomic; outcomes as `OutcomeDisclosure` allows |
/// | POST | /v1/sources/{source}/events | ingest token of {source} | batch of events, idempotent per id |
struct SourcesController {
    let vault: ProfileVault
    let metrics: VaultMetrics
    /// The demo's override of every source's `reveal_outcome`.
    let revealOutcomes: Bool

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("/sources/{source}/records") { request, context in
            let source = try context.requireIngest(for: context.parameters.require("source"))
            let body = try await JSONBody.decode(IngestRecordsRequest.self, from: request, context: context)
            let results = try await vault.ingest.ingest(records: body.records, from: source, caller: context.caller())
            for (outcome, group) in Dictionary(grouping: results, by: { $0.outcome.kind.rawValue }) { metrics.ingested(outcome, count: group.count) }
            let revealing = revealOutcomes || vault.policies.current.catalog.sources[source]?.revealOutcome == true
            return try JSONBody.response(
                IngestRecordsResponse(
                    results: results.map {
                        let (outcome, subject) = OutcomeDisclosure.disclose($0.outcome, revealing: revealing)
                        return IngestRecordResult(key: $0.key, subject_id: subject?.description, outcome: outcome)
                    }))
        }
        group.post("/sources/{source}/events") { request, context in
            let source = try context.requireIngest(for: context.parameters.require("source"))
            let body = try await JSONBody.decode(IngestEventsRequest.self, from: request, context: context)
            let results = try await vault.events.ingest(events: body.events, from: source, caller: context.caller())
            return try JSONBody.response(IngestEventsResponse(results: results.map { IngestEventResult(id: $0.id, outcome: $0.outcome.rawValue) }))
        }
    }
}

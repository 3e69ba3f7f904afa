import Audit
import Foundation
import Storage
import VaultModel

/// The retention sweep: deletes what the bundle says is kept no longer, honouring legal
/// holds (held categories are never swept by retention; held values go when their hold
/// ends), audits field names and counts only, then truncates the WAL.
public struct RetentionService: Sendable {
    let store: any VaultStore
    let keys: VaultKeys
    let policies: PolicyState

    public struct Report: Sendable {
        public let dryRun: Bool
        public let fields: [FieldName: Int]
        public let events: [String: Int]
        public let held: Int
    }

    /// `now` is injected so tests can run the sweep "100 days later".
    public func run(dryRun: Bool, caller: Caller, now: Date = Date()) async throws -> Report {
        let rules = policies.current.retention
        let fields = rules.fields.mapValues { now.addingTimeInterval(-Double($0) * 86400) }
        let events = rules.events.mapValues { now.addingTimeInterval(-Double($0) * 86400) }
        // A hold ends when its authenticated end has passed: a value whose end or basis was
        // changed in the database stops the sweep (nothing deleted) as an integrity error.
        var ended: [HeldValueKey] = []
        for (subject, value) in try await store.allHeldValues() {
            guard keys.rows.verify(value.row(of: subject), mac: value.mac) else { throw RowIntegrityError.heldValue }
            if value.until < now { ended.append(HeldValueKey(subject: subject, field: value.field, until: value.until)) }
        }
        let result = try await store.sweep(
            fields: fields, events: events, held: ended, dryRun: dryRun,
            audit: AuditWrite(draft: caller.draft("retention.sweep", at: now), chain: keys.auditChain))
        if !dryRun {
            // The groups that lost events have pending totals: sealed again from what is left.
            // The sweep has committed: a person whose totals won't seal stays pending (views then
            // use the events) and is not the sweep's failure.
            if !result.events.isEmpty { _ = try? await EventTotalsHealer.heal(store: store, keys: keys) }
            try? await store.checkpoint()
        }
        return Report(dryRun: dryRun, fields: result.fields, events: result.events, held: result.held)
    }
}

import Foundation
import Storage
import VaultCrypto
import VaultModel

/// The vault's side of `EventTotalsFold`: opens a group's totals, adds the new events, seals
/// the sum; or, for a pending group, folds all its events from zero.
enum EventTotalsSealer {
    /// `contributions[i]`: what event `i` of the batch adds (empty when healing).
    static func fold(keys: VaultKeys, contributions: [EventTotals]) -> EventTotalsFold {
        { group, wrapped, state, added in
            let key = try keys.unwrapDataKey(wrapped, of: group.keyOwner)
            var totals = EventTotals()
            switch state {
            case .none:
                break
            case .sealed(let sealed):
                totals = try EventTotals(opening: sealed, group, key: key)
            case .pending(let events):
                // Every event of the group, this write's included: nothing to add after.
                for event in try OpenedEvents.open(events, key: { _ in key }) {
                    totals.add(type: event.type, attributes: event.attributes.unsafeValue, occurredAt: event.occurredAt)
                }
                return try totals.sealed(group, key: key)
            }
            for index in added { totals.add(contributions[index]) }
            return try totals.sealed(group, key: key)
        }
    }
}

/// Seals the totals of every pending group (`StoredEventTotals`): once when the vault opens
/// (the groups of the migration that introduced them), after a retention sweep deleted events,
/// after a subject's key was replaced. A group that fails (a value that won't open) stays
/// pending and its views fold its events, which fail the same way: nothing is hidden.
public enum EventTotalsHealer {
    @discardableResult
    public static func heal(store: any VaultStore, keys: VaultKeys) async throws -> (healed: Int, failed: Int) {
        let fold = EventTotalsSealer.fold(keys: keys, contributions: [])
        var healed = 0
        var failed = 0
        var after: EventTotalsGroup?
        while true {
            let page = try await store.pendingEventTotals(after: after, limit: 200)
            guard let last = page.last else { break }
            for group in page {
                do {
                    if try await store.healEventTotals(group, fold: fold) { healed += 1 }
                } catch let error as StoreError {
                    if case .auditUnavailable = error { throw error }
                    failed += 1
                } catch is CryptoError {
                    failed += 1
                }
            }
            after = last
        }
        return (healed, failed)
    }
}

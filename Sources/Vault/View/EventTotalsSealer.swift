import Foundation
import Storage
import VaultCrypto
import VaultModel

/// The vault's side of the stores' event totals: the fold an event write runs on each group
/// (open the totals, add the new events, seal the sum), and the seal a heal runs on a person.
enum EventTotalsSealer {
    /// `contributions[i]`: what event `i` of the batch adds.
    static func fold(keys: VaultKeys, contributions: [EventTotals]) -> EventTotalsFold {
        { group, wrapped, existing, added in
            let key = try keys.unwrapDataKey(wrapped, of: group.keyOwner)
            var totals = try existing.map { try EventTotals(opening: $0, group, key: key) } ?? EventTotals()
            for index in added { totals.add(contributions[index]) }
            return try totals.sealed(group, key: key)
        }
    }

    /// Every group's totals from all the person's events, opened together: an event the
    /// database repeats (in one group or across two) is an integrity error, so a row moved or
    /// copied between records counts once or not at all.
    static func seal(keys: VaultKeys) -> EventTotalsSeal {
        { groups, wrappedKeys in
            var dataKeys: [SubjectID: SymmetricKey] = [:]
            for (owner, wrapped) in wrappedKeys { dataKeys[owner] = try keys.unwrapDataKey(wrapped, of: owner) }
            let tagged = groups.sorted { ($0.key.recordID, $0.key.keyOwner.description) < ($1.key.recordID, $1.key.keyOwner.description) }
                .flatMap { group, events in events.map { (group, $0) } }
            let opened = try OpenedEvents.open(tagged.map(\.1), key: { try ProfileReader.key($0, in: dataKeys) })
            var totals: [EventTotalsGroup: EventTotals] = [:]
            for ((group, _), event) in zip(tagged, opened) {
                totals[group, default: EventTotals()].add(type: event.type, attributes: event.attributes.unsafeValue, occurredAt: event.occurredAt)
            }
            var sealed: [EventTotalsGroup: [UInt8]] = [:]
            for (group, sum) in totals { sealed[group] = try sum.sealed(group, key: ProfileReader.key(group.keyOwner, in: dataKeys)) }
            return sealed
        }
    }
}

/// Seals the totals of every person with a pending group (`StoredEventTotals`): when the vault
/// opens (after the migration that introduced them, or a sweep or rotation a crash
/// interrupted), after a retention sweep deleted events, after a subject's key was replaced.
/// A person that fails (a value that won't open, a repeated event) stays pending, and their
/// views compute the figures from the events, which fail the same way: nothing is hidden.
public enum EventTotalsHealer {
    /// A fault of one person's stored data (a value that won't open, a repeated or moved row),
    /// as opposed to the store's (I/O, a full disk, a lost connection), which stops the heal.
    static func isDataFault(_ error: any Error) -> Bool {
        switch error {
        case StoreError.corrupt, is CryptoError, is RowIntegrityError, is KeyringError: true
        default: false
        }
    }

    @discardableResult
    public static func heal(store: any VaultStore, keys: VaultKeys, only subject: SubjectID? = nil) async throws -> (healed: Int, failed: Int) {
        let seal = EventTotalsSealer.seal(keys: keys)
        var healed = 0
        var failed = 0
        func heal(_ subject: SubjectID) async throws {
            do {
                if try await store.healEventTotals(of: subject, seal: seal) { healed += 1 }
            } catch let error where isDataFault(error) {
                // This person's data (not the store) is at fault: the others are healed still.
                failed += 1
            }
        }
        if let subject {
            try await heal(subject)
            return (healed, failed)
        }
        var after: SubjectID?
        while true {
            let page = try await store.subjectsWithPendingTotals(after: after, limit: 200)
            guard let last = page.last else { break }
            for subject in page { try await heal(subject) }
            after = last
        }
        return (healed, failed)
    }
}

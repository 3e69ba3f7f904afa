import Foundation
import VaultModel

/// The events of one record sealed under one key owner: the unit whose totals (the figures a
/// view shows: orders, lifetime value, open tickets, last contact) are kept sealed in a side row,
/// so a view reads a few small rows instead of opening the person's whole history. A record's
/// events move with it (merges, record moves), and so does its totals row.
public struct EventTotalsGroup: Sendable, Hashable {
    /// The store's number of the record the events came from.
    public let recordID: Int64
    public let keyOwner: SubjectID

    public init(recordID: Int64, keyOwner: SubjectID) {
        self.recordID = recordID
        self.keyOwner = keyOwner
    }
}

/// A group's totals as a view reads them; `ciphertext` is nil while the totals are pending
/// (events were deleted by retention, or re-sealed under a new key): the view then folds that
/// group's events itself until `EventTotalsHealer` (Vault) seals the totals again.
public struct StoredEventTotals: Sendable {
    public let group: EventTotalsGroup
    public let ciphertext: [UInt8]?

    public init(group: EventTotalsGroup, ciphertext: [UInt8]?) {
        self.group = group
        self.ciphertext = ciphertext
    }
}

/// Which events a profile read brings.
public enum ProfileEvents: Sendable {
    /// Every event of the subject, newest first (exports, erasure receipts, upgrades).
    case all
    /// Only the events of groups whose totals are pending (a view: it shows totals, not events).
    case pendingTotals
}

/// A group's totals when a write folds events into it.
public enum EventTotalsState: Sendable {
    /// The group has no totals row yet: these are its first events.
    case none
    /// The sealed totals before this write.
    case sealed([UInt8])
    /// The totals are pending: every event of the group, this write's included, to fold from zero.
    case pending([StoredEvent])
}

/// Seals a group's new totals inside the transaction that changes its events: `key` is the key
/// owner's wrapped data key as the transaction reads it, `added` the indexes (into the batch)
/// of the events this write inserted into the group. The store sees only ciphertext; the vault
/// supplies this.
public typealias EventTotalsFold =
    @Sendable (_ group: EventTotalsGroup, _ key: WrappedKey, _ state: EventTotalsState, _ added: [Int]) throws -> [UInt8]

/// Where an event sits in its subject's timeline (newest first): time, then the store's row
/// number, so a page ends at a position and the next starts after it (keyset paging).
public struct EventPosition: Sendable, Hashable {
    public let occurredAt: Int64
    public let row: Int64

    public init(occurredAt: Int64, row: Int64) {
        self.occurredAt = occurredAt
        self.row = row
    }
}

/// A subject's event totals and timeline pages.
public protocol EventTotalsStore: Sendable {
    /// Up to `limit` events of surviving subject `subject`, newest first, strictly after
    /// `after` in that order (from the newest when nil).
    func sealedEvents(of subject: SubjectID, after: EventPosition?, limit: Int) async throws -> [(position: EventPosition, event: StoredEvent)]
    /// Groups whose totals are pending, in (record, owner) order after `after`.
    func pendingEventTotals(after: EventTotalsGroup?, limit: Int) async throws -> [EventTotalsGroup]
    /// Seals a pending group's totals from its events (`fold` gets `.pending`), in one write
    /// transaction; a group left without events loses its row. False when the group was no
    /// longer pending.
    func healEventTotals(_ group: EventTotalsGroup, fold: EventTotalsFold) async throws -> Bool
}

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
/// (events were deleted by retention, or re-sealed under a new key, or the migration that
/// introduced totals left them so): the view then computes the figures from all the person's
/// events until `EventTotalsHealer` (Vault) seals every group of the person again.
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
    /// Every event when some group's totals are pending, none otherwise (a view: it shows the
    /// figures, from the sealed totals when they are all there).
    case whenTotalsPending
}

/// Seals a group's new totals inside the transaction that inserts its events: `key` is the key
/// owner's wrapped data key as the transaction reads it, `existing` the sealed totals before
/// (nil for the group's first events), `added` the indexes (into the batch) of the events this
/// write inserted into the group. A group whose totals are pending is left to the healer. The
/// store sees only ciphertext; the vault supplies this.
public typealias EventTotalsFold =
    @Sendable (_ group: EventTotalsGroup, _ key: WrappedKey, _ existing: [UInt8]?, _ added: [Int]) throws -> [UInt8]

/// Seals every group of one person from all their events at once (so an event is counted once
/// whichever group the database says it is in): the events by group, the key owners' wrapped
/// keys as the transaction reads them; returns each group's sealed totals.
public typealias EventTotalsSeal =
    @Sendable (_ events: [EventTotalsGroup: [StoredEvent]], _ keys: [SubjectID: WrappedKey]) throws -> [EventTotalsGroup: [UInt8]]

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
    /// Subjects with a group whose totals are pending, in id order after `after`.
    func subjectsWithPendingTotals(after: SubjectID?, limit: Int) async throws -> [SubjectID]
    /// Seals every group of `subject` from its events (`seal`), replacing all its totals rows,
    /// in one write transaction. False when none of its groups was pending any more.
    func healEventTotals(of subject: SubjectID, seal: EventTotalsSeal) async throws -> Bool
}

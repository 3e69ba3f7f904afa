import Foundation
import VaultModel

/// Figures of the 360 view computed from a subject's events (`EventTotals` says what each
/// event adds).
public struct ProfileAggregates: Sendable, Equatable {
    public let orderCount: Int
    /// Sum of order amounts. Amounts in different currencies are added as they are: the
    /// demo and most deployments use one currency; per-currency totals are future work.
    public let lifetimeValue: Double
    /// Ticket events whose status is `open` or `pending`.
    public let openTickets: Int
    /// The most recent interaction of any kind.
    public let lastContact: Date?

    init(totals: EventTotals) {
        orderCount = Int(totals.orders)
        lifetimeValue = (totals.orderAmount * 100).rounded() / 100
        openTickets = Int(totals.openTickets)
        lastContact = totals.lastContact.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    public init(events: [DecryptedEvent]) {
        var totals = EventTotals()
        for event in events { totals.add(type: event.type, attributes: event.attributes.unsafeValue, occurredAt: event.occurredAt) }
        self.init(totals: totals)
    }
}

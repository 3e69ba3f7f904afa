import Foundation
import VaultModel

/// Figures of the 360 view computed from a subject's events.
public struct ProfileAggregates: Sendable, Equatable {
    public let orderCount: Int
    /// Sum of order amounts. Amounts in different currencies are added as they are: the
    /// demo and most deployments use one currency; per-currency totals are future work.
    public let lifetimeValue: Double
    /// Ticket events whose status is `open` or `pending`.
    public let openTickets: Int
    /// The most recent interaction of any kind.
    public let lastContact: Date?

    public init(events: [DecryptedEvent]) {
        var orders = 0
        var value = 0.0
        var open = 0
        var last: Date?
        for event in events {
            let attributes = event.attributes.unsafeValue
            switch event.type {
            case "order":
                orders += 1
                if case .number(let amount)? = attributes["amount"] { value += amount }
            case "ticket":
                if case .string(let status)? = attributes["status"], status != "closed" { open += 1 }
            default: break
            }
            if last == nil || event.occurredAt > last! { last = event.occurredAt }
        }
        orderCount = orders
        lifetimeValue = (value * 100).rounded() / 100
        openTickets = open
        lastContact = last
    }
}

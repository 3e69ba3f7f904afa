import Foundation
import Storage
import VaultCrypto
import VaultModel

/// What a view shows of a person's events, summed over one group of them
/// (`EventTotalsGroup`: one record's events under one key owner). Kept sealed beside the
/// events and updated in the transaction that adds them, so a view reads a handful of small
/// rows whatever the length of the person's history. Totals add up: a view sums its groups'.
struct EventTotals: Equatable {
    var events: Int64 = 0
    var orders: Int64 = 0
    /// Sum of order amounts, unrounded (`ProfileAggregates` rounds the total to cents).
    var orderAmount: Double = 0
    /// Ticket events whose status is not `closed`.
    var openTickets: Int64 = 0
    /// The most recent event (Unix ms).
    var lastContact: Int64?

    /// The one rule that says what an event adds to the figures.
    mutating func add(type: String, attributes: [String: JSONValue], occurredAt: Date) {
        events += 1
        switch type {
        case "order":
            orders += 1
            if case .number(let amount)? = attributes["amount"] { orderAmount += amount }
        case "ticket":
            if case .string(let status)? = attributes["status"], status != "closed" { openTickets += 1 }
        default: break
        }
        let at = occurredAt.unixMillis
        if lastContact.map({ at > $0 }) ?? true { lastContact = at }
    }

    mutating func add(_ other: EventTotals) {
        events += other.events
        orders += other.orders
        orderAmount += other.orderAmount
        openTickets += other.openTickets
        if let last = other.lastContact, lastContact.map({ last > $0 }) ?? true { lastContact = last }
    }

    // MARK: Sealed form: a format byte, then five big-endian 64-bit numbers.

    static let format: UInt8 = 1

    var encoded: [UInt8] {
        var out: [UInt8] = [Self.format]
        out.reserveCapacity(41)
        for value in [
            UInt64(bitPattern: events), UInt64(bitPattern: orders), orderAmount.bitPattern, UInt64(bitPattern: openTickets),
            UInt64(bitPattern: lastContact ?? Int64.min),
        ] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        return out
    }

    init() {}

    init(decoding bytes: [UInt8]) throws {
        guard bytes.count == 41, bytes[0] == Self.format else { throw StoreError.corrupt("event totals") }
        func number(_ index: Int) -> UInt64 {
            bytes[(1 + index * 8)..<(9 + index * 8)].reduce(0) { $0 << 8 | UInt64($1) }
        }
        events = Int64(bitPattern: number(0))
        orders = Int64(bitPattern: number(1))
        orderAmount = Double(bitPattern: number(2))
        openTickets = Int64(bitPattern: number(3))
        let last = Int64(bitPattern: number(4))
        lastContact = last == Int64.min ? nil : last
        guard events >= 0, orders >= 0, openTickets >= 0, orders + openTickets <= events, orderAmount.isFinite else {
            throw StoreError.corrupt("event totals")
        }
    }

    func sealed(_ group: EventTotalsGroup, key: SymmetricKey) throws -> [UInt8] {
        try Envelope.seal(encoded, key: key, context: SealContext.eventTotals(group))
    }

    init(opening sealed: [UInt8], _ group: EventTotalsGroup, key: SymmetricKey) throws {
        try self.init(decoding: try Envelope.open(sealed, key: key, context: SealContext.eventTotals(group)))
    }
}

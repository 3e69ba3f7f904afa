import Foundation

/// Deadlines as calendar rules, in UTC.
///
/// - GDPR Art. 12(3): one month from receipt, counted as Regulation 1182/71 Art. 3(2)(c) does:
///   the period ends on the same date of the next month, or on its last day when that month is
///   shorter (31 Jan → 28/29 Feb). An extension adds two months to the original due date.
/// - CCPA §1798.130: 45 calendar days from receipt whatever verification takes; one 45-day
///   extension. Opt-outs of sale/sharing: 15 business days (Monday–Friday; public holidays are
///   not modelled, which only makes the deadline earlier, never later).
public enum DueDate {
    static var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }

    public static func due(regulation: Regulation, kind: RequestKind, receivedAt: Date) -> Date {
        switch regulation {
        case .gdpr: return addMonths(1, to: receivedAt)
        case .ccpa: return kind == .optOut ? addBusinessDays(15, to: receivedAt) : addDays(45, to: receivedAt)
        }
    }

    /// The due date after the one extension the regulation allows.
    public static func extended(regulation: Regulation, originalDue: Date) -> Date {
        switch regulation {
        case .gdpr: addMonths(2, to: originalDue)
        case .ccpa: addDays(45, to: originalDue)
        }
    }

    /// Same day-of-month `months` later, clamped to the month's last day; the time is kept.
    public static func addMonths(_ months: Int, to date: Date) -> Date {
        let c = calendar
        var parts = c.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = parts.day!
        parts.day = 1
        parts.month! += months
        let firstOfTarget = c.date(from: parts)!
        let daysInTarget = c.range(of: .day, in: .month, for: firstOfTarget)!.count
        parts.day = min(day, daysInTarget)
        return c.date(from: parts)!
    }

    public static func addDays(_ days: Int, to date: Date) -> Date {
        calendar.date(byAdding: .day, value: days, to: date)!
    }

    public static func addBusinessDays(_ days: Int, to date: Date) -> Date {
        let c = calendar
        var current = date
        var remaining = days
        while remaining > 0 {
            current = c.date(byAdding: .day, value: 1, to: current)!
            let weekday = c.component(.weekday, from: current)
            if weekday != 1 && weekday != 7 { remaining -= 1 }
        }
        return current
    }
}

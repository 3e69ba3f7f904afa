import Foundation
import Testing

@testable import Requests

@Suite("Deadlines and lifecycle")
struct DueDateTests {
    static func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }
    static func day(_ date: Date) -> String { String(ISO8601DateFormatter().string(from: date).prefix(10)) }

    @Test(
        "GDPR: one calendar month, clamped to the end of shorter months (Reg. 1182/71)",
        arguments: [
            ("2026-01-31T09:00:00Z", "2026-02-28"), ("2028-01-31T09:00:00Z", "2028-02-29"), ("2026-01-15T09:00:00Z", "2026-02-15"),
            ("2026-03-31T09:00:00Z", "2026-04-30"), ("2026-12-31T23:00:00Z", "2027-01-31"), ("2026-02-28T09:00:00Z", "2026-03-28"),
        ])
    func gdpr(received: String, due: String) {
        #expect(Self.day(DueDate.due(regulation: .gdpr, kind: .access, receivedAt: Self.date(received))) == due)
    }

    @Test("GDPR extension: two more months from the original due date")
    func gdprExtension() {
        let due = DueDate.due(regulation: .gdpr, kind: .erasure, receivedAt: Self.date("2026-01-31T09:00:00Z"))
        #expect(Self.day(DueDate.extended(regulation: .gdpr, originalDue: due)) == "2026-04-28")
    }

    @Test("CCPA: 45 days, one 45-day extension; opt-outs within 15 business days")
    func ccpa() {
        let received = Self.date("2026-12-20T10:00:00Z")
        let due = DueDate.due(regulation: .ccpa, kind: .access, receivedAt: received)
        #expect(Self.day(due) == "2027-02-03")
        #expect(Self.day(DueDate.extended(regulation: .ccpa, originalDue: due)) == "2027-03-20")
        // Friday 2026-11-20 + 15 business days = Friday 2026-12-11.
        #expect(Self.day(DueDate.due(regulation: .ccpa, kind: .optOut, receivedAt: Self.date("2026-11-20T10:00:00Z"))) == "2026-12-11")
    }

    @Test(
        "the lifecycle allows only its moves",
        arguments: [
            (RequestStatus.received, RequestLifecycle.Step.verify, RequestKind.erasure, RequestStatus?.some(.verified)),
            (.received, .execute, .erasure, nil), (.verified, .execute, .erasure, .inProgress),
            (.received, .execute, .optOut, .inProgress), (.inProgress, .complete, .access, .completed),
            (.completed, .execute, .access, nil), (.rejected, .verify, .access, nil), (.verified, .reject, .access, .rejected),
            (.inProgress, .reject, .access, nil),
        ])
    func lifecycle(from: RequestStatus, step: RequestLifecycle.Step, kind: RequestKind, expected: RequestStatus?) {
        #expect(RequestLifecycle.next(from: from, by: step, kind: kind) == expected)
    }
}

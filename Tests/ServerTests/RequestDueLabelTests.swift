import Foundation
import Requests
import Storage
import Testing
import VaultAPI

@testable import VaultServer

/// A request's deadline as people count it, one wording for the console and vaultctl.
@Suite("Request deadlines as shown")
struct RequestDueLabelTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func body(dueIn seconds: TimeInterval, status: RequestStatus = .verified) -> SubjectRequestBody {
        let record = RequestRecord(
            id: UUID(), kind: .erasure, regulation: .gdpr, subjectID: nil, status: status, receivedAt: now, dueAt: now.addingTimeInterval(seconds),
            createdAt: now, createdBy: "dpo")
        return RequestsController.body(record, now: now)
    }

    @Test(
        "days left round up, days overdue round down, closed requests show none",
        arguments: [
            (30.9 * 86_400, 31, "31 days left"), (3_600, 1, "1 day left"), (-17 * 86_400 + 3_600, -17, "17 days overdue"),
            (-600, -1, "1 day overdue"),
        ] as [(TimeInterval, Int, String)])
    func labels(_ row: (TimeInterval, Int, String)) {
        let body = Self.body(dueIn: row.0)
        #expect(body.days_left == row.1)
        #expect(body.dueLabel == row.2)
    }

    @Test("a closed request has no deadline to show")
    func closed() {
        #expect(Self.body(dueIn: -86_400, status: .completed).dueLabel == nil)
    }

    @Test("a queue is worked overdue first, then open requests by due date, closed ones last")
    func queueOrder() {
        let closed = Self.body(dueIn: -90 * 86_400, status: .completed)
        let later = Self.body(dueIn: 20 * 86_400)
        let sooner = Self.body(dueIn: 2 * 86_400)
        let late = Self.body(dueIn: -3 * 86_400)
        #expect([closed, later, sooner, late].sorted(by: SubjectRequestBody.queueOrder).map(\.id) == [late, sooner, later, closed].map(\.id))
    }
}

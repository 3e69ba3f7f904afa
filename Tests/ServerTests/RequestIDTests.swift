import Foundation
import Testing

@testable import VaultServer

/// Request ids sort by time (so audit entries append to the `request_id` index) and stay unique.
@Suite("Request ids")
struct RequestIDTests {
    @Test("20 lowercase hex digits, the first 11 the time in milliseconds")
    func shape() {
        let now = Date(timeIntervalSince1970: 1_790_000_000.5)
        let id = RequestIDGenerator.next(now: now)
        #expect(id.utf8.count == 20)
        #expect(id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        #expect(UInt64(id.prefix(11), radix: 16) == 1_790_000_000_500)
    }

    @Test("ids of later milliseconds sort after earlier ones")
    func timeOrder() {
        let ids = (0..<2000).map { RequestIDGenerator.next(now: Date(timeIntervalSince1970: Double(1_790_000_000_000 + $0) / 1000)) }
        #expect(ids.sorted() == ids)
    }

    @Test("ids within one millisecond are distinct")
    func uniqueWithinAMillisecond() {
        let now = Date()
        let ids = (0..<10_000).map { _ in RequestIDGenerator.next(now: now) }
        #expect(Set(ids).count == ids.count)
    }
}

import Foundation
import Testing

@testable import VaultServer

/// Refusals without a credential are recorded one by one up to a rate; the rest are counted
/// and named in the next recorded entry, so a flood can't grow the audit chain without limit.
@Suite("Anonymous denials in the audit log")
struct AnonymousDenialsTests {
    @Test("up to the rate each refusal is recorded; beyond it they are counted and named in the next recorded one")
    func boundedAndAccountedFor() {
        let denials = AnonymousDenials(perMinute: 3)
        let start = ContinuousClock.now
        #expect((0..<3).map { _ in denials.admit(now: start) } == [0, 0, 0])
        #expect((0..<5).map { _ in denials.admit(now: start) } == [nil, nil, nil, nil, nil], "over the rate: not recorded")
        #expect(denials.admit(now: start + .seconds(20)) == 5, "the next recorded one counts the five before it")
        #expect(denials.admit(now: start + .seconds(20)) == nil)
        #expect(denials.admit(now: start + .seconds(40)) == 1)
    }

    @Test("the entry names the unrecorded count only when there is one")
    func detail() {
        #expect(AnonymousDenials.detail("GET /v1/keys: unauthorized", unrecorded: 0) == "GET /v1/keys: unauthorized")
        #expect(AnonymousDenials.detail("GET /v1/keys: unauthorized", unrecorded: 7).contains("+7 refusals without a credential"))
    }
}

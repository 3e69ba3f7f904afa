import Foundation
import Testing
import VaultModel

@testable import Consent

@Suite("Consent state derived from the ledger")
struct ConsentStateTests {
    static let t0 = Date(timeIntervalSince1970: 1_770_000_000)
    static let email = Purpose("marketing.communications.email")!
    static let marketing = Purpose("marketing")!

    static func event(_ purpose: Purpose, _ status: ConsentStatus, at minutes: Double, expires: Double? = nil, seq: Int64 = 0) -> ConsentEvent {
        ConsentEvent(
            purpose: purpose, status: status, lawfulBasis: .consent, occurredAt: t0.addingTimeInterval(minutes * 60),
            expiresAt: expires.map { t0.addingTimeInterval($0 * 60) }, sequence: seq)
    }

    @Test("the latest event per purpose decides, whatever order they were recorded in")
    func ordering() {
        let events = [Self.event(Self.email, .withdrawn, at: 10, seq: 1), Self.event(Self.email, .granted, at: 5, seq: 2)]
        #expect(!ConsentState(events: events).isPermitted(Self.email, at: Self.t0.addingTimeInterval(3600)))
        // Same instant: ledger order breaks the tie.
        let tie = [Self.event(Self.email, .granted, at: 5, seq: 1), Self.event(Self.email, .withdrawn, at: 5, seq: 2)]
        #expect(!ConsentState(events: tie).isPermitted(Self.email, at: Self.t0.addingTimeInterval(3600)))
    }

    @Test("withdraw then re-grant permits again")
    func regrant() {
        let events = [Self.event(Self.email, .granted, at: 1), Self.event(Self.email, .withdrawn, at: 2), Self.event(Self.email, .granted, at: 3)]
        let state = ConsentState(events: events)
        #expect(state.isPermitted(Self.email, at: Self.t0.addingTimeInterval(600)))
        #expect(state.summary(at: Self.t0.addingTimeInterval(600)).map(\.status) == ["granted"])
    }

    @Test("expiry applies at read time, no sweep needed")
    func expiry() {
        let state = ConsentState(events: [Self.event(Self.email, .granted, at: 0, expires: 60)])
        #expect(state.isPermitted(Self.email, at: Self.t0.addingTimeInterval(59 * 60)))
        #expect(!state.isPermitted(Self.email, at: Self.t0.addingTimeInterval(60 * 60)))
        #expect(state.summary(at: Self.t0.addingTimeInterval(61 * 60)).map(\.status) == ["expired"])
    }

    @Test("no event means no consent (deny by default)")
    func absent() {
        #expect(!ConsentState(events: []).isPermitted(Self.email, at: Self.t0))
    }

    @Test("grants are exact: consent to marketing does not permit marketing.communications.email")
    func grantsAreExact() {
        let state = ConsentState(events: [Self.event(Self.marketing, .granted, at: 0)])
        #expect(state.isPermitted(Self.marketing, at: Self.t0.addingTimeInterval(60)))
        #expect(!state.isPermitted(Self.email, at: Self.t0.addingTimeInterval(60)))
    }

    @Test("a newer refusal of a broader purpose blocks the narrower grant; an older one does not")
    func refusalsCascade() {
        let withdrawnAfter = ConsentState(events: [Self.event(Self.email, .granted, at: 0), Self.event(Self.marketing, .withdrawn, at: 5)])
        #expect(!withdrawnAfter.isPermitted(Self.email, at: Self.t0.addingTimeInterval(600)))
        let grantedAfter = ConsentState(events: [Self.event(Self.marketing, .denied, at: 0), Self.event(Self.email, .granted, at: 5)])
        #expect(grantedAfter.isPermitted(Self.email, at: Self.t0.addingTimeInterval(600)))
        // Segment boundaries: `marketing.comm` is not an ancestor of `marketing.communications.email`.
        let unrelated = ConsentState(events: [Self.event(Self.email, .granted, at: 0), Self.event(Purpose("marketing.comm")!, .withdrawn, at: 5)])
        #expect(unrelated.isPermitted(Self.email, at: Self.t0.addingTimeInterval(600)))
    }

    @Test("GPC refusals cover the sale and sharing families")
    func gpc() {
        let events =
            [Self.event(Purpose("marketing.advertising.third_party.targeted")!, .granted, at: 0)]
            + SaleAndSharing.purposes.map { Self.event($0, .denied, at: 1) }
        let state = ConsentState(events: events)
        #expect(!state.isPermitted(Purpose("marketing.advertising.third_party.targeted")!, at: Self.t0.addingTimeInterval(600)))
        #expect(!state.isPermitted(Purpose("third_party_sharing")!, at: Self.t0.addingTimeInterval(600)))
    }
}

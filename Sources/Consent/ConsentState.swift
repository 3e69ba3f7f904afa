import Foundation
import VaultModel

/// The current consent of one subject, derived from its ledger.
///
/// Rules (tested in `ConsentStateTests`):
/// - Per purpose, the latest event wins (by `occurredAt`, then ledger order).
/// - Expiry is applied at read time: a grant past its `expiresAt` counts as absent.
/// - **Grants are exact**: consent to `marketing` does not permit
///   `marketing.communications.email`. A policy that wants a broader grant to count names
///   the broader purpose in its `requires_consent`.
/// - **Refusals cascade down**: a current `denied` or `withdrawn` for a purpose also
///   blocks every narrower purpose whose own grant is older. Withdrawing `marketing`
///   stops all marketing, which is what a person who says "no marketing" means.
public struct ConsentState: Sendable {
    /// The deciding event per purpose (latest), expired grants included.
    public let latest: [Purpose: ConsentEvent]

    public init(events: [ConsentEvent]) {
        var latest: [Purpose: ConsentEvent] = [:]
        for event in events {
            if let current = latest[event.purpose], !Self.isLater(event, than: current) { continue }
            latest[event.purpose] = event
        }
        self.latest = latest
    }

    static func isLater(_ a: ConsentEvent, than b: ConsentEvent) -> Bool {
        a.occurredAt != b.occurredAt ? a.occurredAt > b.occurredAt : a.sequence > b.sequence
    }

    /// Whether processing for `purpose` is permitted by consent at `time`.
    public func isPermitted(_ purpose: Purpose, at time: Date) -> Bool {
        guard let grant = latest[purpose], grant.status == .granted, !isExpired(grant, at: time) else { return false }
        // A newer refusal of a broader purpose overrides this grant.
        for (other, event) in latest where other != purpose && other.covers(purpose) && event.status != .granted {
            if Self.isLater(event, than: grant) { return false }
        }
        return true
    }

    public func isExpired(_ event: ConsentEvent, at time: Date) -> Bool {
        event.expiresAt.map { $0 <= time } ?? false
    }

    /// The effective status of each purpose with an event: `granted`, `denied`, `withdrawn` or `expired`.
    public func summary(at time: Date) -> [(purpose: Purpose, status: String, event: ConsentEvent)] {
        latest.keys.sorted().map { purpose in
            let event = latest[purpose]!
            let status = event.status == .granted && isExpired(event, at: time) ? "expired" : event.status.rawValue
            return (purpose, status, event)
        }
    }
}

/// Purposes whose sale or sharing a GPC signal or a CCPA opt-out refuses.
public enum SaleAndSharing {
    public static let purposes = [Purpose("third_party_sharing")!, Purpose("marketing.advertising")!]
}

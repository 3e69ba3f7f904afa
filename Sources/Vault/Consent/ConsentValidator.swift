import Catalog
import Consent
import Foundation
import VaultModel

/// Checks consent bodies and turns them into ledger events; every problem is collected
/// with its index and member name, never the value.
struct ConsentValidator {
    let purposes: PurposeCatalog
    static let members: Set<String> = [
        "key", "purpose", "status", "lawful_basis", "jurisdiction", "channel", "occurred_at",
        "expires_at", "notice_version", "evidence", "gpc",
    ]
    /// Clock skew tolerated for `occurred_at` in the future.
    static let skew: TimeInterval = 300

    func validate(_ raw: [JSONValue], gpcHeader: Bool, now: Date, requireKey: Bool = false) throws -> [[ConsentEvent]] {
        var issues: [BatchIssue] = []
        var result: [[ConsentEvent]] = []
        for (index, item) in raw.enumerated() {
            var itemIssues: [BatchIssue] = []
            func issue(_ member: String?, _ type: String, _ reason: String) {
                itemIssues.append(BatchIssue(index: index, field: member, type: type, reason: reason))
            }
            guard case .object(let o) = item else {
                issue(nil, "wrong-type", "a consent event must be an object")
                issues += itemIssues
                result.append([])
                continue
            }
            for name in o.keys.sorted() where !Self.members.contains(name) {
                let echo = SubmittedName.unknown(name, known: Self.members, what: "member of a consent event")
                issue(echo.field, "unknown-member", echo.reason)
            }
            if requireKey, !(o["key"].map { if case .string(let s) = $0 { !s.isEmpty } else { false } } ?? false) {
                issue("key", "missing-field", "the source key of the record is required")
            }
            func text(_ name: String, max: Int = 256) -> String? {
                guard let value = o[name] else { return nil }
                guard case .string(let s) = value else {
                    issue(name, "wrong-type", "expected a string")
                    return nil
                }
                guard !s.isEmpty, s.count <= max, !s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    issue(name, "invalid-value", "1 to \(max) printable characters")
                    return nil
                }
                return s
            }
            func time(_ name: String) -> Date? {
                guard let s = text(name, max: 64) else { return nil }
                guard let d = Timestamp.parse(s) else {
                    issue(name, "invalid-value", "not an RFC 3339 time")
                    return nil
                }
                return d
            }
            var gpc = gpcHeader
            if let value = o["gpc"] {
                if case .bool(let b) = value { gpc = gpc || b } else { issue("gpc", "wrong-type", "expected a boolean") }
            }
            let stated = time("occurred_at") ?? now
            if stated > now.addingTimeInterval(Self.skew) { issue("occurred_at", "invalid-value", "in the future") }
            // Within the skew, a time ahead of the vault's clock is recorded as now: the ledger
            // orders by occurred_at, and a grant dated ahead would outrank, for good, a
            // withdrawal recorded after it.
            let occurredAt = min(stated, now)
            let expiresAt = time("expires_at")
            if let expiresAt, expiresAt <= now { issue("expires_at", "expiry-in-past", "the expiry is not in the future") }
            let jurisdiction = text("jurisdiction", max: 16)
            let channel = text("channel", max: 64)
            let notice = text("notice_version", max: 64)
            let evidence = text("evidence", max: 1024)
            var events: [ConsentEvent] = []
            let purposeText = text("purpose", max: 128)
            if let purposeText {
                let purpose = Purpose(purposeText)
                if purpose == nil || !purposes.contains(purpose!) { issue("purpose", "unknown-purpose", "not a purpose of purposes.yaml") }
                let status = text("status", max: 16).flatMap { s -> ConsentStatus? in
                    guard let status = ConsentStatus(rawValue: s) else {
                        issue("status", "invalid-value", "granted, denied or withdrawn")
                        return nil
                    }
                    return status
                }
                if o["status"] == nil { issue("status", "missing-field", "status is required with a purpose") }
                let basis = text("lawful_basis", max: 32).flatMap { s -> LawfulBasis? in
                    guard let basis = LawfulBasis(rawValue: s) else {
                        issue("lawful_basis", "unknown-lawful-basis", "not a GDPR Art. 6 basis")
                        return nil
                    }
                    return basis
                }
                if o["lawful_basis"] == nil { issue("lawful_basis", "missing-field", "lawful_basis is required with a purpose") }
                if let purpose, let status, let basis {
                    events.append(
                        ConsentEvent(
                            purpose: purpose, status: status, lawfulBasis: basis, jurisdiction: jurisdiction, channel: channel,
                            occurredAt: occurredAt, expiresAt: expiresAt, noticeVersion: notice, evidence: evidence.map(Sensitive.init)))
                }
            } else if o["purpose"] == nil && !gpc {
                issue("purpose", "missing-field", "a purpose (or gpc: true) is required")
            }
            if gpc {
                // A Global Privacy Control signal (or a CCPA opt-out) refuses sale and sharing.
                for purpose in SaleAndSharing.purposes {
                    events.append(
                        ConsentEvent(
                            purpose: purpose, status: .denied, lawfulBasis: .consent, jurisdiction: jurisdiction,
                            channel: channel ?? "gpc", occurredAt: occurredAt, noticeVersion: notice, evidence: evidence.map(Sensitive.init)))
                }
            }
            issues += itemIssues
            result.append(events)
        }
        guard issues.isEmpty else { throw IngestError.invalidBatch(issues) }
        return result
    }
}

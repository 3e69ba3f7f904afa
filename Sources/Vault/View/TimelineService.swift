import Catalog
import Foundation
import Policy
import Storage
import VaultCrypto
import VaultModel

/// One event of a timeline, with attributes redacted by the same rules as fields.
public struct TimelineEntry: Sendable {
    public let type: String
    public let source: SourceName
    public let occurredAt: Date
    public let attributes: [String: JSONValue]
}

public struct TimelinePage: Sendable {
    public let entries: [TimelineEntry]
    /// Opaque cursor of the next page; nil on the last page.
    public let next: String?
}

extension ViewService {
    /// A page of the subject's events, newest first. Each attribute is decided by its
    /// category like a field; numbers are shown or redacted, never masked.
    public func timeline(
        _ id: SubjectID, role: RoleName, purpose: Purpose, caller: Caller, cursor: String?, limit: Int,
        now: Date = Date()
    ) async throws -> TimelinePage {
        let caller = caller.reading(for: purpose)
        let active = policies.active
        let policy = active.policy
        let (profile, rows, page) = try await timelineRead(id, role: role, purpose: purpose, caller: caller, cursor: cursor, limit: limit, active: active)
        let evaluator = evaluator(policy)
        let consent = profile.consentState
        let context = GeneralizeAction.Context(city: nil, country: nil)
        let pageRows = rows.prefix(limit)
        var shownAttributes: Set<String> = []
        // An event the role sees none of is left out, not listed empty: its type and time are
        // behavioural data of the same categories (a list of orders is an order count, which
        // the aggregates show only to roles that see purchase history).
        let entries = page.compactMap { event -> TimelineEntry? in
            var attributes: [String: JSONValue] = [:]
            let definitions = policy.catalog.eventTypes[event.type]?.attributes ?? [:]
            for (name, value) in event.attributes.unsafeValue {
                guard let definition = definitions[FieldName(name)] else { continue }
                let decision = evaluator.decision(role: role, purpose: purpose, category: definition.category)
                switch value {
                case .string(let text):
                    let result = evaluator.apply(
                        decision, field: FieldName("\(event.type).\(name)"), value: Sensitive(text),
                        consent: consent, context: context, at: now)
                    if let shown = result.value { attributes[name] = .string(shown.unsafeValue) }
                default:
                    if evaluator.shows(definition.category, role: role, purpose: purpose, consent: consent, at: now) { attributes[name] = value }
                }
                if attributes[name] != nil { shownAttributes.insert("\(event.type).\(name)") }
            }
            guard !attributes.isEmpty else { return nil }
            return TimelineEntry(type: event.type, source: event.source, occurredAt: event.occurredAt, attributes: attributes)
        }
        let next = try rows.count > limit ? pageRows.last.map { try timelineCursor(after: $0.position, subject: id, profile: profile) } : nil
        try await audit.record(
            caller.draft(
                "subject.timeline", subjects: [profile.subjectID.description],
                fields: shownAttributes.sorted(), policyVersion: active.label, detail: "\(entries.count) events"))
        return TimelinePage(entries: entries, next: next)
    }
}

extension ViewService {
    /// The profile and one page of events (and one row more: is there a next page?), opened:
    /// the page's cost, not the history's. Two reads, so a merge or key rotation committed
    /// between them can leave the page sealed under a key the profile didn't bring: read both
    /// once more before calling it an integrity error.
    func timelineRead(
        _ id: SubjectID, role: RoleName, purpose: Purpose, caller: Caller, cursor: String?, limit: Int, active: ActivePolicy
    ) async throws -> (ViewProfile, [(position: EventPosition, event: StoredEvent)], [DecryptedEvent]) {
        for attempt in 0..<2 {
            let profile = try await authorizedProfile(id, role: role, purpose: purpose, caller: caller, action: "subject.timeline", active: active)
            let after = try cursor.map { try timelinePosition(ofCursor: $0, subject: id, profile: profile) }
            let rows = try await reader.store.sealedEvents(of: profile.subjectID, after: after, limit: limit + 1)
            do {
                return (profile, rows, try OpenedEvents.open(rows.prefix(limit).map(\.event), key: profile.dataKey(of:)))
            } catch  where attempt == 0 {
                continue
            }
        }
        throw StoreError.corrupt("unreachable")
    }

    /// An opaque cursor: the position of the page's last event (time, row) sealed under the
    /// subject's data key with the id it was issued for, so it shows nothing (not the time of
    /// an event the role doesn't see) and a cursor of one person's timeline is refused on
    /// another's. The next page starts after it, whatever was added or deleted meanwhile
    /// (keyset paging).
    func timelineCursor(after position: EventPosition, subject: SubjectID, profile: ViewProfile) throws -> String {
        var plain: [UInt8] = []
        for value in [position.occurredAt, position.row] { plain += withUnsafeBytes(of: value.bigEndian, Array.init) }
        let sealed = try Envelope.seal(plain, key: profile.dataKey(of: profile.subjectID), context: SealContext.timelineCursor(subject))
        return Data(sealed).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func timelinePosition(ofCursor cursor: String, subject: SubjectID, profile: ViewProfile) throws -> EventPosition {
        guard cursor.utf8.count <= 200 else { throw TimelineError.invalidCursor }
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.utf8.count % 4 != 0 { text += "=" }
        guard let sealed = Data(base64Encoded: text),
            let plain = try? Envelope.open([UInt8](sealed), key: profile.dataKey(of: profile.subjectID), context: SealContext.timelineCursor(subject)),
            plain.count == 16
        else { throw TimelineError.invalidCursor }
        func number(_ at: Int) -> Int64 { Int64(bitPattern: plain[at..<(at + 8)].reduce(0) { $0 << 8 | UInt64($1) }) }
        return EventPosition(occurredAt: number(0), row: number(8))
    }
}

public enum TimelineError: Error, Sendable {
    case invalidCursor
}

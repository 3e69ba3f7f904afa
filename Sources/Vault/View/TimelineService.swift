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
        let after = try cursor.map { try timelinePosition(ofCursor: $0, subject: id) }
        let profile = try await authorizedProfile(id, role: role, purpose: purpose, caller: caller, action: "subject.timeline", active: active)
        let evaluator = evaluator(policy)
        let consent = profile.consentState
        let context = GeneralizeAction.Context(city: nil, country: nil)
        // One page and one more row (is there a next page?), opened: the page's cost, not the history's.
        let rows = try await reader.store.sealedEvents(of: profile.subjectID, after: after, limit: limit + 1)
        let pageRows = rows.prefix(limit)
        let page = try OpenedEvents.open(pageRows.map(\.event), key: profile.dataKey(of:))
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
        let next = rows.count > limit ? pageRows.last.map { timelineCursor(after: $0.position, subject: id) } : nil
        try await audit.record(
            caller.draft(
                "subject.timeline", subjects: [profile.subjectID.description],
                fields: shownAttributes.sorted(), policyVersion: active.label, detail: "\(entries.count) events"))
        return TimelinePage(entries: entries, next: next)
    }
}

extension ViewService {
    /// An opaque cursor: the position of the page's last event (time, row) and a keyed tag
    /// binding it to the subject it was issued for, so a cursor of one person's timeline is
    /// refused on another's and a position can't be made up. The next page starts after it,
    /// whatever was added or deleted meanwhile (keyset paging).
    func timelineCursor(after position: EventPosition, subject: SubjectID) -> String {
        "\(position.occurredAt).\(position.row)-" + cursorTag(position, subject: subject)
    }

    func timelinePosition(ofCursor cursor: String, subject: SubjectID) throws -> EventPosition {
        let parts = cursor.split(separator: "-", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].count <= 40 else { throw TimelineError.invalidCursor }
        let numbers = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 2, let time = Int64(numbers[0]), let row = Int64(numbers[1]), row >= 0 else { throw TimelineError.invalidCursor }
        let position = EventPosition(occurredAt: time, row: row)
        guard ConstantTime.equals(Array(parts[1].utf8), Array(cursorTag(position, subject: subject).utf8)) else { throw TimelineError.invalidCursor }
        return position
    }

    func cursorTag(_ position: EventPosition, subject: SubjectID) -> String {
        keys.rows.tag("timeline-cursor/v2", [subject.description, String(position.occurredAt), String(position.row)]).prefix(12)
            .map { String(format: "%02x", $0) }.joined()
    }
}

public enum TimelineError: Error, Sendable {
    case invalidCursor
}

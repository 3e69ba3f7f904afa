import Catalog
import Foundation
import Policy
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
        let offset = try cursor.map { try timelineOffset(ofCursor: $0, subject: id) } ?? 0
        let profile = try await authorizedProfile(id, role: role, purpose: purpose, caller: caller, action: "subject.timeline", active: active)
        let evaluator = evaluator(policy)
        let consent = profile.consentState
        let context = GeneralizeAction.Context(city: nil, country: nil)
        let page = profile.events.dropFirst(offset).prefix(limit)
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
        let nextOffset = offset + page.count
        let next = nextOffset < profile.events.count ? timelineCursor(offset: nextOffset, subject: id) : nil
        try await audit.record(
            caller.draft(
                "subject.timeline", subjects: [profile.subjectID.description],
                fields: shownAttributes.sorted(), policyVersion: active.label, detail: "\(entries.count) events"))
        return TimelinePage(entries: entries, next: next)
    }
}

extension ViewService {
    /// An opaque cursor: the offset and a keyed tag binding it to the subject it was issued
    /// for, so a cursor of one person's timeline is refused on another's.
    func timelineCursor(offset: Int, subject: SubjectID) -> String {
        "\(offset)-" + cursorTag(offset: offset, subject: subject)
    }

    func timelineOffset(ofCursor cursor: String, subject: SubjectID) throws -> Int {
        let parts = cursor.split(separator: "-", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].count <= 9, let offset = Int(parts[0]), offset >= 0,
            ConstantTime.equals(Array(parts[1].utf8), Array(cursorTag(offset: offset, subject: subject).utf8))
        else { throw TimelineError.invalidCursor }
        return offset
    }

    func cursorTag(offset: Int, subject: SubjectID) -> String {
        keys.rows.tag("timeline-cursor/v1", [subject.description, String(offset)]).prefix(12).map { String(format: "%02x", $0) }.joined()
    }
}

public enum TimelineError: Error, Sendable {
    case invalidCursor
}

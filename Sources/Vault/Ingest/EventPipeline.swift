import Audit
import Catalog
import Foundation
import Identity
import Storage
import VaultCrypto
import VaultModel

/// Ingest of interaction events. Each event names the source record it belongs to by the
/// source's key; its id is unique within the source, so a retried batch changes nothing.
public struct EventPipeline: Sendable {
    let store: any VaultStore
    let keys: VaultKeys
    let policies: PolicyState
    public let maximumBatch: Int
    var catalog: FieldCatalog { policies.current.catalog }

    public init(store: any VaultStore, keys: VaultKeys, policies: PolicyState, maximumBatch: Int = 1000) {
        self.store = store
        self.keys = keys
        self.policies = policies
        self.maximumBatch = maximumBatch
    }

    public struct Result: Sendable {
        public let id: String
        public let outcome: EventOutcomeKind
    }

    struct NormalizedEvent {
        let id: Sensitive<String>
        let key: Sensitive<String>
        let type: String
        let occurredAt: Date
        let attributes: [String: JSONValue]
    }

    public func ingest(events raw: [JSONValue], from source: SourceName, caller: Caller, now: Date = Date()) async throws -> [Result] {
        guard catalog.sources[source] != nil else { throw IngestError.unknownSource(source.rawValue) }
        guard !raw.isEmpty else { throw IngestError.emptyBatch }
        guard raw.count <= maximumBatch else { throw IngestError.batchTooLarge(count: raw.count, limit: maximumBatch) }
        let events = try validate(raw, now: now)
        let keyIndexes = events.map { keys.blindIndexer.index(source: source, recordKey: $0.key) }
        // What each event adds to its group's totals, folded in by the store's transaction.
        let totals = EventTotalsSealer.fold(
            keys: keys,
            contributions: events.map { event in
                var added = EventTotals()
                added.add(type: event.type, attributes: event.attributes, occurredAt: event.occurredAt)
                return added
            })
        for _ in 0..<5 {
            let snapshot = try await store.resolutionSnapshot(source: source, sourceKeys: keyIndexes, identifiers: [])
            var issues: [BatchIssue] = []
            var dataKeys: [SubjectID: SymmetricKey] = [:]
            var sealed: [SealedEvent] = []
            for (index, event) in events.enumerated() {
                guard let owner = snapshot.subjectBySourceKey[keyIndexes[index].bytes], let wrapped = snapshot.wrappedKeys[owner] else {
                    issues.append(BatchIssue(index: index, field: "key", type: "unknown-source-key", reason: "no record of this source has this key"))
                    continue
                }
                if dataKeys[owner] == nil { dataKeys[owner] = try keys.unwrapDataKey(wrapped, of: owner) }
                let body = EventBody(id: event.id.unsafeValue, attributes: event.attributes, occurredAt: event.occurredAt)
                let plaintext = try Self.encoder.encode(body)
                let ciphertext = try Envelope.seal(
                    Array(plaintext), key: dataKeys[owner]!, context: SealContext.event(owner: owner, source: source, type: event.type))
                sealed.append(
                    SealedEvent(
                        eventIndex: keys.blindIndexer.index(source: source, eventID: event.id), recordKeyIndex: keyIndexes[index],
                        keyOwner: owner, sealedUnder: wrapped.bytes, type: event.type, occurredAt: event.occurredAt, ciphertext: ciphertext))
            }
            guard issues.isEmpty else { throw IngestError.invalidBatch(issues) }
            do {
                let attributes = Set(events.flatMap { $0.attributes.keys }).sorted()
                let audit = AuditWrite(
                    draft: caller.draft("events.ingest", fields: attributes, detail: "\(events.count) events", at: now),
                    chain: keys.auditChain)
                let outcomes = try await store.commit(events: sealed, source: source, audit: audit, totals: totals)
                return zip(events, outcomes).map { Result(id: $0.id.unsafeValue, outcome: $1) }
            } catch StoreError.staleResolution {
                continue
            } catch StoreError.unknownSourceKey(let index) {
                throw IngestError.invalidBatch([
                    BatchIssue(index: index, field: "key", type: "unknown-source-key", reason: "no record of this source has this key")
                ])
            }
        }
        throw IngestError.contention
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return e
    }()

    func validate(_ raw: [JSONValue], now: Date) throws -> [NormalizedEvent] {
        var issues: [BatchIssue] = []
        var events: [NormalizedEvent] = []
        for (index, item) in raw.enumerated() {
            guard case .object(let object) = item else {
                issues.append(BatchIssue(index: index, field: nil, type: "wrong-type", reason: "an event must be an object"))
                continue
            }
            var eventIssues: [BatchIssue] = []
            let members = ["id", "key", "type", "occurred_at", "attributes"]
            for name in object.keys.sorted() where !members.contains(name) {
                let echo = SubmittedName.unknown(name, known: members, what: "member (events have id, key, type, occurred_at and attributes)")
                eventIssues.append(BatchIssue(index: index, field: echo.field, type: "unknown-member", reason: echo.reason))
            }
            let id = RecordValidator.sourceKey(object["id"], index: index, issues: &eventIssues)
            let key = RecordValidator.sourceKey(object["key"], index: index, issues: &eventIssues)
            var type: String?
            switch object["type"] {
            case .string(let t)? where catalog.eventTypes[t] != nil: type = t
            case .string?: eventIssues.append(BatchIssue(index: index, field: "type", type: "unknown-event-type", reason: "not an event type of the catalog"))
            case nil: eventIssues.append(BatchIssue(index: index, field: "type", type: "missing-field", reason: "type is required"))
            default: eventIssues.append(BatchIssue(index: index, field: "type", type: "wrong-type", reason: "expected a string"))
            }
            var occurredAt: Date?
            if object["occurred_at"] == nil {
                eventIssues.append(BatchIssue(index: index, field: "occurred_at", type: "missing-field", reason: "occurred_at is required"))
            } else {
                occurredAt = RecordValidator.timestamp(object["occurred_at"], member: "occurred_at", index: index, now: now, issues: &eventIssues)
            }
            var attributes: [String: JSONValue] = [:]
            if let type {
                switch object["attributes"] {
                case .object(let values)?:
                    for name in values.keys.sorted() {
                        do throws(FieldIssue) {
                            attributes[name] = try catalog.normalize(attribute: name, of: type, value: values[name]!)
                        } catch {
                            eventIssues.append(BatchIssue(index: index, error))
                        }
                    }
                case nil: break
                default: eventIssues.append(BatchIssue(index: index, field: "attributes", type: "wrong-type", reason: "attributes must be an object"))
                }
            }
            if eventIssues.isEmpty, let id, let key, let type, let occurredAt {
                events.append(NormalizedEvent(id: id, key: key, type: type, occurredAt: occurredAt, attributes: attributes))
            }
            issues += eventIssues
        }
        guard issues.isEmpty else { throw IngestError.invalidBatch(issues) }
        return events
    }
}

/// The sealed part of an event: its id and attributes.
struct EventBody: Codable {
    let id: String
    let attributes: [String: JSONValue]
    /// The event's time (Unix ms), sealed so the reader can tell a row whose time was changed
    /// in the database; nil in events ingested before it.
    let occurred_at: Int64?

    init(id: String, attributes: [String: JSONValue], occurredAt: Date?) {
        self.id = id
        self.attributes = attributes
        self.occurred_at = occurredAt?.unixMillis
    }

    /// An opened body, read with `JSONParser` (every view opens its subject's events).
    init(opened bytes: [UInt8]) throws {
        guard case .object(let members)? = try? JSONParser.parse(bytes), case .string(let id)? = members["id"],
            case .object(let attributes)? = members["attributes"]
        else { throw StoreError.corrupt("event body") }
        self.id = id
        self.attributes = attributes
        switch members["occurred_at"] {
        case nil, .null?: occurred_at = nil
        case .number(let value)?:
            guard let millis = Int64(exactly: value) else { throw StoreError.corrupt("event body") }
            occurred_at = millis
        default: throw StoreError.corrupt("event body")
        }
    }
}

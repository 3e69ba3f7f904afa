import Catalog
import Consent
import Foundation
import Identity
import Storage
import VaultCrypto
import VaultModel

/// A subject's data after decryption and survivorship, still wrapped as `Sensitive`: every
/// value of every source, every event (exports, erasure, segments).
public struct DecryptedProfile: Sendable {
    public let subjectID: SubjectID
    public let restricted: Bool
    public let fields: [FieldName: SurvivingValue]
    public let events: [DecryptedEvent]
    /// The consent ledger, in order; `consentState` derives the current decisions.
    public let consents: [ConsentEvent]
    public let sources: [SourceName]

    public var consentState: ConsentState { ConsentState(events: consents) }
}

/// A subject as a view needs it: survivorship decided on metadata (source trust, time), each
/// golden value still sealed until `value(of:)` opens it, the figures from the kept totals.
/// A view opens only the values its decisions show in some form (and city and country when it
/// generalizes one); a redacted field is never decrypted, and no event is opened unless some
/// group's totals are pending.
public struct ViewProfile: Sendable {
    public let subjectID: SubjectID
    public let restricted: Bool
    public let sources: [SourceName]
    public let consents: [ConsentEvent]
    public let aggregates: ProfileAggregates
    /// The golden value of each field held, sealed.
    let golden: [FieldName: StoredFieldValue]
    let dataKeys: [SubjectID: SymmetricKey]

    public var consentState: ConsentState { ConsentState(events: consents) }
    /// The fields the subject holds, in name order.
    public var fieldNames: [FieldName] { golden.keys.sorted() }

    /// The golden value of `field`, opened; nil if the subject has none.
    public func value(of field: FieldName) throws -> Sensitive<String>? {
        guard let sealed = golden[field] else { return nil }
        return Sensitive(String(decoding: try ProfileReader.openValue(sealed, keys: dataKeys), as: UTF8.self))
    }

    /// The data key of a key owner of this profile (events of a timeline page).
    func dataKey(of owner: SubjectID) throws -> SymmetricKey {
        guard let key = dataKeys[owner] else { throw StoreError.corrupt("no data key of a key owner") }
        return key
    }
}

public struct DecryptedEvent: Sendable {
    public let source: SourceName
    public let type: String
    public let occurredAt: Date
    public let id: Sensitive<String>
    public let attributes: Sensitive<[String: JSONValue]>
}

/// Loads a subject's sealed profile, opens it with its key owners' data keys, and picks
/// the golden value of each field.
public struct ProfileReader: Sendable {
    let store: any VaultStore
    let keys: VaultKeys
    let policies: PolicyState
    var catalog: FieldCatalog { policies.current.catalog }

    public init(store: any VaultStore, keys: VaultKeys, policies: PolicyState) {
        self.store = store
        self.keys = keys
        self.policies = policies
    }

    /// Whether `id` has a stored profile, read but not opened: the benchmarks' single-row floor.
    public func storedProfileExists(_ id: SubjectID) async throws -> Bool {
        try await store.sealedProfile(of: id, events: .whenTotalsPending) != nil
    }

    /// The profile of `id`, following merges to the surviving subject, everything opened; nil if unknown.
    public func read(_ id: SubjectID) async throws -> DecryptedProfile? {
        guard let sealed = try await store.sealedProfile(of: id, events: .all) else { return nil }
        return try open(sealed)
    }

    /// The profile of `id` as a view reads it (`ViewProfile`); nil if unknown.
    public func readForView(_ id: SubjectID) async throws -> ViewProfile? {
        guard let sealed = try await store.sealedProfile(of: id, events: .whenTotalsPending) else { return nil }
        let dataKeys = try unwrapKeys(sealed)
        let catalog = self.catalog
        var candidates: [FieldName: [StoredFieldValue]] = [:]
        for value in sealed.fields { candidates[value.field, default: []].append(value) }
        let golden = candidates.compactMapValues { values in
            Survivorship.goldenIndex(values, source: \.source, observedAt: \.observedAt, trustRank: { catalog.sources[$0.source]?.trustRank ?? Int.max })
                .map { values[$0] }
        }
        var totals = EventTotals()
        if sealed.totals.contains(where: { $0.ciphertext == nil }) {
            // Some group is pending: the figures from all the person's events (the store brought
            // them), until the healer seals every group again.
            for event in try OpenedEvents.open(sealed.events, key: { try Self.key($0, in: dataKeys) }) {
                totals.add(type: event.type, attributes: event.attributes.unsafeValue, occurredAt: event.occurredAt)
            }
        } else {
            var seen = Set<EventTotalsGroup>()
            for stored in sealed.totals {
                guard let ciphertext = stored.ciphertext, seen.insert(stored.group).inserted else { throw StoreError.corrupt("event_totals row repeated") }
                totals.add(try EventTotals(opening: ciphertext, stored.group, key: try Self.key(stored.group.keyOwner, in: dataKeys)))
            }
        }
        return ViewProfile(
            subjectID: sealed.subjectID, restricted: sealed.restricted, sources: sealed.sources,
            consents: try openConsents(sealed.consents, dataKeys), aggregates: ProfileAggregates(totals: totals), golden: golden,
            dataKeys: dataKeys)
    }

    func unwrapKeys(_ sealed: SealedProfile) throws -> [SubjectID: SymmetricKey] {
        var dataKeys: [SubjectID: SymmetricKey] = [:]
        for (owner, wrapped) in sealed.keys {
            dataKeys[owner] = try keys.unwrapDataKey(wrapped, of: owner)
        }
        return dataKeys
    }

    static func key(_ owner: SubjectID, in dataKeys: [SubjectID: SymmetricKey]) throws -> SymmetricKey {
        guard let key = dataKeys[owner] else { throw StoreError.corrupt("no data key for a sealed value") }
        return key
    }

    static func openValue(_ value: StoredFieldValue, keys dataKeys: [SubjectID: SymmetricKey]) throws -> [UInt8] {
        try Envelope.open(
            value.ciphertext, key: try key(value.keyOwner, in: dataKeys),
            context: SealContext.field(owner: value.keyOwner, field: value.field, source: value.source))
    }

    func open(_ sealed: SealedProfile) throws -> DecryptedProfile {
        let dataKeys = try unwrapKeys(sealed)
        let catalog = self.catalog
        var observed: [FieldName: [ObservedValue]] = [:]
        for value in sealed.fields {
            let plaintext = try Self.openValue(value, keys: dataKeys)
            let rank = catalog.sources[value.source]?.trustRank ?? Int.max
            observed[value.field, default: []].append(
                ObservedValue(
                    value: Sensitive(String(decoding: plaintext, as: UTF8.self)), source: value.source, observedAt: value.observedAt, trustRank: rank))
        }
        var fields: [FieldName: SurvivingValue] = [:]
        for (name, values) in observed {
            fields[name] = Survivorship.choose(values)
        }
        return DecryptedProfile(
            subjectID: sealed.subjectID, restricted: sealed.restricted, fields: fields,
            events: try OpenedEvents.open(sealed.events, key: { try Self.key($0, in: dataKeys) }),
            consents: try openConsents(sealed.consents, dataKeys), sources: sealed.sources)
    }

    func openConsents(_ stored: [StoredConsent], _ dataKeys: [SubjectID: SymmetricKey]) throws -> [ConsentEvent] {
        try stored.map { stored -> ConsentEvent in
            let plaintext = try Envelope.open(
                stored.ciphertext, key: try Self.key(stored.keyOwner, in: dataKeys),
                context: SealContext.consent(owner: stored.keyOwner, purpose: stored.purpose, occurredAt: stored.occurredAt))
            let body = try ConsentBody(opened: plaintext)
            guard
                body.decision
                    == ConsentDecision.encode(
                        status: stored.status, lawfulBasis: stored.lawfulBasis,
                        jurisdiction: stored.jurisdiction, expiresAt: stored.expiresAt)
            else {
                throw StoreError.corrupt("a consent event's status, basis or expiry differs from the one sealed with it")
            }
            guard let purpose = Purpose(stored.purpose), let status = ConsentStatus(rawValue: stored.status),
                let basis = LawfulBasis(rawValue: stored.lawfulBasis)
            else { throw StoreError.corrupt("consent_events row") }
            return ConsentEvent(
                purpose: purpose, status: status, lawfulBasis: basis, jurisdiction: stored.jurisdiction, channel: body.channel,
                occurredAt: stored.occurredAt, expiresAt: stored.expiresAt, noticeVersion: body.notice_version,
                evidence: body.evidence.map(Sensitive.init), sequence: stored.sequence)
        }
    }
}

/// Opening sealed events, with the checks every reader of them makes.
enum OpenedEvents {
    /// `events` opened in their order. A source's event id is unique (ingest is idempotent per
    /// id): a second row with the same id is a copy made in the database (to inflate the
    /// figures), and so is a row whose time differs from the one sealed with it.
    static func open(_ events: [StoredEvent], key: (SubjectID) throws -> SymmetricKey) throws -> [DecryptedEvent] {
        var seen = Set<EventIdentity>()
        return try events.map { event -> DecryptedEvent in
            let plaintext = try Envelope.open(
                event.ciphertext, key: try key(event.keyOwner), context: SealContext.event(owner: event.keyOwner, source: event.source, type: event.type))
            let body = try EventBody(opened: plaintext)
            guard seen.insert(EventIdentity(source: event.source, id: body.id)).inserted else { throw StoreError.corrupt("an event row is repeated") }
            // Every body carries its time since `SealedCopiesInForce` re-sealed the older ones.
            guard body.occurred_at == event.occurredAt.unixMillis else {
                throw StoreError.corrupt("an event's time differs from the one sealed with it")
            }
            return DecryptedEvent(
                source: event.source, type: event.type, occurredAt: event.occurredAt,
                id: Sensitive(body.id), attributes: Sensitive(body.attributes))
        }
    }
}

/// An event as its source names it: (source, event id), unique per vault.
struct EventIdentity: Hashable {
    let source: SourceName
    let id: String
}

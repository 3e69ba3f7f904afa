import Catalog
import Consent
import Foundation
import Identity
import Storage
import VaultCrypto
import VaultModel

/// A subject's data after decryption and survivorship, still wrapped as `Sensitive`.
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

    /// The profile of `id`, following merges to the surviving subject; nil if unknown.
    /// Whether `id` has a stored profile, read but not opened: the benchmarks' single-row floor.
    public func storedProfileExists(_ id: SubjectID) async throws -> Bool { try await store.sealedProfile(of: id) != nil }

    public func read(_ id: SubjectID) async throws -> DecryptedProfile? {
        guard let sealed = try await store.sealedProfile(of: id) else { return nil }
        return try open(sealed)
    }

    func open(_ sealed: SealedProfile) throws -> DecryptedProfile {
        var dataKeys: [SubjectID: SymmetricKey] = [:]
        for (owner, wrapped) in sealed.keys {
            dataKeys[owner] = try keys.unwrapDataKey(wrapped, of: owner)
        }
        let catalog = self.catalog
        var observed: [FieldName: [ObservedValue]] = [:]
        for value in sealed.fields {
            guard let key = dataKeys[value.keyOwner] else { throw StoreError.corrupt("no data key for a field value") }
            let plaintext = try Envelope.open(
                value.ciphertext, key: key,
                context: SealContext.field(owner: value.keyOwner, field: value.field, source: value.source))
            let rank = catalog.sources[value.source]?.trustRank ?? Int.max
            observed[value.field, default: []].append(
                ObservedValue(
                    value: Sensitive(String(decoding: plaintext, as: UTF8.self)), source: value.source, observedAt: value.observedAt, trustRank: rank))
        }
        var fields: [FieldName: SurvivingValue] = [:]
        for (name, values) in observed {
            fields[name] = Survivorship.choose(values)
        }
        // A source's event id is unique (ingest is idempotent per id): a second row with the same
        // id is a copy made in the database (to inflate the aggregates), and so is a row whose
        // time differs from the one sealed with it.
        var seen = Set<EventIdentity>()
        let events = try sealed.events.map { event -> DecryptedEvent in
            guard let key = dataKeys[event.keyOwner] else { throw StoreError.corrupt("no data key for an event") }
            let plaintext = try Envelope.open(
                event.ciphertext, key: key, context: SealContext.event(owner: event.keyOwner, source: event.source, type: event.type))
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
        let consents = try sealed.consents.map { stored -> ConsentEvent in
            guard let key = dataKeys[stored.keyOwner] else { throw StoreError.corrupt("no data key for a consent event") }
            let plaintext = try Envelope.open(
                stored.ciphertext, key: key,
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
        return DecryptedProfile(
            subjectID: sealed.subjectID, restricted: sealed.restricted, fields: fields, events: events,
            consents: consents, sources: sealed.sources)
    }
}

/// An event as its source names it: (source, event id), unique per vault.
struct EventIdentity: Hashable {
    let source: SourceName
    let id: String
}

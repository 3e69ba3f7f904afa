import Foundation
import Storage
import VaultCrypto
import VaultModel

/// Events and consent decisions sealed before their bodies carried a copy of their time and
/// decision (status, basis, jurisdiction, expiry) are re-sealed with the copy once per vault, at
/// the open that finds them, before anything is served. From then on `ProfileReader` requires the
/// copy: a database writer can't turn an old withdrawal into a grant or move an old order in
/// time. Recorded like the row tags: `rows.seal.bodies` on the chain and a marker file.
enum SealedCopiesInForce {
    static let action = "rows.seal.bodies"
    static let markerName = "sealed-copies-in-force"

    static func establish(store: any VaultStore, keys: VaultKeys, dataDirectory: URL) async throws {
        try await RowTagsInForce.once(action, marker: markerName, store: store, dataDirectory: dataDirectory) {
            var resealed = 0
            var after: SubjectID?
            while true {
                let page = try await store.subjectIDs(after: after, limit: 500)
                guard let last = page.last else { break }
                for subject in page { resealed += try await reseal(subject, store: store, keys: keys) }
                after = last
            }
            let draft = Caller.system("upgrade").draft(
                action, detail: "sealed copies in force: \(resealed) events and consent decisions written before them were re-sealed with theirs")
            // Nothing left to rewrite: the call only appends the entry, in a transaction of its own.
            try await store.rewriteSealedBodies(of: .none, events: [], consents: [], audit: AuditWrite(draft: draft, chain: keys.auditChain))
        }
    }

    /// Re-seals the subject's bodies that lack their copy, under the same key and context.
    static func reseal(_ subject: SubjectID, store: any VaultStore, keys: VaultKeys) async throws -> Int {
        guard let profile = try await store.sealedProfile(of: subject) else { return 0 }
        var dataKeys: [SubjectID: SymmetricKey] = [:]
        func key(_ owner: SubjectID) throws -> SymmetricKey {
            if let known = dataKeys[owner] { return known }
            guard let wrapped = profile.keys[owner] else { throw StoreError.corrupt("no data key of a key owner") }
            let unwrapped = try keys.unwrapDataKey(wrapped, of: owner)
            dataKeys[owner] = unwrapped
            return unwrapped
        }
        var events: [(old: [UInt8], new: [UInt8])] = []
        for event in profile.events {
            let context = SealContext.event(owner: event.keyOwner, source: event.source, type: event.type)
            let body = try EventBody(opened: try Envelope.open(event.ciphertext, key: try key(event.keyOwner), context: context))
            guard body.occurred_at == nil else { continue }
            let copied = EventBody(id: body.id, attributes: body.attributes, occurredAt: event.occurredAt)
            events.append(
                (event.ciphertext, try Envelope.seal(Array(try EventPipeline.encoder.encode(copied)), key: try key(event.keyOwner), context: context)))
        }
        var consents: [(old: [UInt8], new: [UInt8])] = []
        for consent in profile.consents {
            let context = SealContext.consent(owner: consent.keyOwner, purpose: consent.purpose, occurredAt: consent.occurredAt)
            let body = try ConsentBody(opened: try Envelope.open(consent.ciphertext, key: try key(consent.keyOwner), context: context))
            guard body.decision == nil else { continue }
            let copied = ConsentBody(
                channel: body.channel, notice_version: body.notice_version, evidence: body.evidence,
                decision: ConsentDecision.encode(
                    status: consent.status, lawfulBasis: consent.lawfulBasis, jurisdiction: consent.jurisdiction, expiresAt: consent.expiresAt))
            consents.append(
                (consent.ciphertext, try Envelope.seal(Array(try EventPipeline.encoder.encode(copied)), key: try key(consent.keyOwner), context: context)))
        }
        guard !events.isEmpty || !consents.isEmpty else { return 0 }
        try await store.rewriteSealedBodies(of: profile.subjectID, events: events, consents: consents, audit: nil)
        return events.count + consents.count
    }
}

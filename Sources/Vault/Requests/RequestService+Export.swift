import Audit
import Consent
import Foundation
import Requests
import Storage
import VaultCrypto
import VaultModel

/// The access package (GDPR Art. 15 / CCPA right to know), machine readable.
public struct AccessExport: Codable, Sendable {
    public struct Value: Codable, Sendable {
        public let value: String
        public let source: String
        public let observed_at: String
    }
    public struct Field: Codable, Sendable {
        public let name: String
        public let category: String
        public let value: String
        public let source: String
        public let observed_at: String
        /// Other values held from other sources.
        public let alternatives: [Value]
        public let retention: String?
    }
    public struct Event: Codable, Sendable {
        public let type: String
        public let source: String
        public let occurred_at: String
        public let attributes: [String: JSONValue]
    }
    public struct Consent: Codable, Sendable {
        public let purpose: String
        public let status: String
        public let lawful_basis: String
        public let occurred_at: String
        public let expires_at: String?
        public let channel: String?
        public let notice_version: String?
    }
    public struct Recipient: Codable, Sendable {
        public let principal: String
        public let role: String?
        public let purpose: String?
        public let fields: [String]
        public let at: String
        public let action: String
    }
    public struct Held: Codable, Sendable {
        public let field: String
        public let category: String
        public let value: String
        public let basis: String
        public let until: String
    }
    public let format: String
    public let request_id: String
    public let kind: String
    public let regulation: String
    public let subject_id: String?
    public let generated_at: String
    public let sources: [String]
    public let fields: [Field]
    public let events: [Event]?
    public let consents: [Consent]
    public let purposes: [String]
    public let recipients: [Recipient]?
    public let held_under_legal_obligation: [Held]
    public let rights: [String]
}

extension RequestService {
    /// The export of a completed access or portability request. Portability carries what the
    /// subject provided (fields and consents) in the same form, without derived data.
    public func export(_ id: UUID, caller: Caller, now: Date = Date()) async throws -> AccessExport {
        guard let record = try await storedRequest(id: id) else { throw RequestError.notFound }
        guard record.kind == .access || record.kind == .portability else {
            throw RequestError.notAvailable("only access and portability requests have an export")
        }
        guard record.status == .completed else { throw RequestError.notAvailable("the request is not completed yet") }
        let portability = record.kind == .portability
        let catalog = policies.current.catalog
        var fields: [AccessExport.Field] = []
        var events: [AccessExport.Event] = []
        var consents: [AccessExport.Consent] = []
        var recipients: [AccessExport.Recipient] = []
        var held: [AccessExport.Held] = []
        var sources: [String] = []
        if let subject = record.subjectID {
            // Erased since: an export now would be an empty package presented as complete.
            guard try await store.canonicalSubject(of: subject) != nil else { throw RequestError.subjectErased }
        }
        if let subject = record.subjectID, let profile = try await reader.read(subject) {
            sources = profile.sources.map(\.rawValue)
            for (name, value) in profile.fields.sorted(by: { $0.key < $1.key }) {
                let definition = catalog.fields[name]
                fields.append(
                    .init(
                        name: name.rawValue, category: definition?.category.rawValue ?? "unknown", value: value.golden.value.unsafeValue,
                        source: value.golden.source.rawValue, observed_at: Timestamp.format(value.golden.observedAt),
                        alternatives: value.alternatives.map {
                            .init(
                                value: $0.value.unsafeValue, source: $0.source.rawValue,
                                observed_at: Timestamp.format($0.observedAt))
                        },
                        // As the sweep applies it: the field's own, else its category's (retention.yaml).
                        retention: policies.current.retention.fields[name].map { "\($0)d" } ?? definition?.retention))
            }
            events = profile.events.map {
                .init(
                    type: $0.type, source: $0.source.rawValue, occurred_at: Timestamp.format($0.occurredAt),
                    attributes: $0.attributes.unsafeValue)
            }
            consents = profile.consents.map {
                .init(
                    purpose: $0.purpose.rawValue, status: $0.status.rawValue, lawful_basis: $0.lawfulBasis.rawValue,
                    occurred_at: Timestamp.format($0.occurredAt), expires_at: $0.expiresAt.map(Timestamp.format),
                    channel: $0.channel, notice_version: $0.noticeVersion)
            }
            // Disclosures are audited under the id the subject had then: the one asked about, the
            // one it was merged into since, and those merged into it.
            let ids = Set([subject, profile.subjectID] + (try await store.erasureFacts(of: profile.subjectID).keyOwners))
            // Keyed by chain and sequence number: each chain numbers its entries from 1.
            var disclosures: [String: AuditEntry] = [:]
            for id in ids { for entry in try await audit.recipients(of: id.description) { disclosures["\(entry.chain.rawValue)-\(entry.seq)"] = entry } }
            recipients = disclosures.values.sorted { $0.draft.at != $1.draft.at ? $0.draft.at < $1.draft.at : $0.seq < $1.seq }.map {
                .init(
                    principal: $0.draft.principal, role: $0.draft.role, purpose: $0.draft.purpose, fields: $0.draft.fields,
                    at: Timestamp.format($0.draft.at), action: $0.draft.action)
            }
        }
        if let subject = record.subjectID {
            for value in try await verifiedHeldValues(of: subject) {
                let plaintext = try Envelope.open(value.ciphertext, key: keys.holdKey, context: Self.holdContext(subject, value.field))
                held.append(
                    .init(
                        field: value.field.rawValue, category: value.category, value: String(decoding: plaintext, as: UTF8.self),
                        basis: value.basis, until: Timestamp.format(value.until)))
            }
        }
        let purposes = Set(consents.map(\.purpose) + recipients.compactMap(\.purpose)).sorted()
        let rights =
            record.regulation == .ccpa
            ? ["know", "delete", "correct", "opt_out_of_sale_or_sharing", "limit_use_of_sensitive_information", "non_discrimination"]
            : ["access", "rectification", "erasure", "restriction", "portability", "objection", "withdraw_consent", "complain_to_supervisory_authority"]
        let export = AccessExport(
            format: "profilevault-export-v1", request_id: id.uuidString.lowercased(), kind: record.kind.rawValue, regulation: record.regulation.rawValue,
            subject_id: record.subjectID?.description, generated_at: Timestamp.format(now), sources: sources, fields: fields,
            events: portability ? nil : events, consents: consents, purposes: purposes,
            recipients: portability ? nil : recipients, held_under_legal_obligation: held, rights: rights)
        try await audit.record(
            caller.draft(
                "request.export", subjects: record.subjectID.map { [$0.description] } ?? [],
                fields: fields.map(\.name), detail: "request \(id.uuidString.lowercased()) \(record.kind.rawValue)"))
        return export
    }

    public func receipt(_ id: UUID, caller: Caller) async throws -> (SignedReceipt, [OutboxNotice]) {
        guard let record = try await storedRequest(id: id) else { throw RequestError.notFound }
        guard let text = record.receipt, let receipt = try? JSONDecoder().decode(SignedReceipt.self, from: Data(text.utf8)) else {
            throw RequestError.notAvailable("only completed erasure requests have a receipt")
        }
        let notices = try await store.outbox(request: id)
        try await audit.record(
            caller.draft(
                "request.receipt", subjects: record.subjectID.map { [$0.description] } ?? [],
                detail: "request \(id.uuidString.lowercased())"))
        return (receipt, notices)
    }

    /// Lifts a completed restriction.
    public func lift(_ id: UUID, caller: Caller) async throws -> RequestRecord {
        guard let record = try await storedRequest(id: id) else { throw RequestError.notFound }
        guard record.kind == .restriction, record.status == .completed, let subject = record.subjectID else {
            throw RequestError.notAvailable("only a completed restriction can be lifted")
        }
        try await store.setRestricted(subject, false)
        try await audit.record(
            caller.draft("request.lift", subjects: [subject.description], detail: "request \(id.uuidString.lowercased()) restriction lifted"))
        try await notify(record, kind: .restrictionLifted, now: Date())
        return record
    }

    // MARK: Outbox

    public struct Notice: Sendable {
        public let id: UUID
        public let requestID: UUID
        public let kind: NoticeKind
        /// The source's own record key, so it knows which record to act on; nil once acknowledged.
        public let sourceKey: Sensitive<String>?
        public let createdAt: Date
        public let ackedAt: Date?
    }

    public func outbox(for source: SourceName, caller: Caller) async throws -> [Notice] {
        let notices = try await store.outbox(source: source, includeAcknowledged: false)
        try await audit.record(caller.draft("outbox.read", detail: "\(notices.count) notices for \(source)"))
        return try notices.map { notice in
            let key = try notice.sealedKey.map {
                Sensitive(String(decoding: try Envelope.open($0, key: keys.outboxKey, context: SealContext.frame(.outbox, source.rawValue)), as: UTF8.self))
            }
            return Notice(id: notice.id, requestID: notice.requestID, kind: notice.kind, sourceKey: key, createdAt: notice.createdAt, ackedAt: notice.ackedAt)
        }
    }

    public func acknowledge(_ id: UUID, source: SourceName, caller: Caller, now: Date = Date()) async throws -> Bool {
        try await store.acknowledge(
            notice: id, source: source, at: now,
            audit: AuditWrite(draft: caller.draft("outbox.ack", detail: "notice \(id.uuidString.lowercased())", at: now), chain: keys.auditChain))
    }
}

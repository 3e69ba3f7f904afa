import Consent
import Foundation
import HTTPTypes
import Hummingbird
import Vault
import VaultAPI
import VaultModel

/// | method | path | who | audit action |
/// |---|---|---|---|
/// | GET | /v1/subjects/{id}/consents | compliance, support, marketing | consent.read |
/// | POST | /v1/subjects/{id}/consents | compliance, support | consent.record |
/// | POST | /v1/sources/{source}/consents | ingest token of {source} | consent.record |
///
/// `Sec-GPC: 1` on a POST (forwarded by a source from the browser) records an opt-out of
/// sale and sharing, as `"gpc": true` in the body does.
struct ConsentsController {
    let vault: ProfileVault
    static let readers: Set<RoleName> = ["compliance", "support", "marketing"]
    static let recorders: Set<RoleName> = ["compliance", "support"]

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("/subjects/{id}/consents") { _, context in
            let role = try context.requireRole(Self.readers)
            let id = try Self.subjectID(context)
            let (subject, state, history) = try await vault.consents.show(id, caller: context.caller())
            let now = Date()
            return try JSONBody.response(
                ConsentsBody(
                    subject_id: subject.description,
                    current: state.summary(at: now).map {
                        CurrentConsentBody(
                            purpose: $0.purpose.rawValue, status: $0.status, lawful_basis: $0.event.lawfulBasis.rawValue,
                            occurred_at: Timestamp.format($0.event.occurredAt), expires_at: $0.event.expiresAt.map(Timestamp.format))
                    },
                    history: history.map { Self.body($0, withEvidence: role == .compliance) }))
        }
        group.post("/subjects/{id}/consents") { request, context in
            let role = try context.requireRole(Self.recorders)
            let id = try Self.subjectID(context)
            let body = try await JSONBody.decode(JSONValue.self, from: request, context: context)
            let (subject, recorded) = try await vault.consents.record(body, for: id, gpcHeader: Self.gpc(request), caller: context.caller())
            return try JSONBody.response(
                RecordedConsentsBody(
                    subject_id: subject.description,
                    recorded: recorded.map { Self.body($0, withEvidence: role == .compliance) }),
                status: .created)
        }
        group.post("/sources/{source}/consents") { request, context in
            let source = try context.requireIngest(for: context.parameters.require("source"))
            let body = try await JSONBody.decode(BulkConsentsRequest.self, from: request, context: context)
            let results = try await vault.consents.recordBulk(body.consents, from: source, gpcHeader: Self.gpc(request), caller: context.caller())
            return try JSONBody.response(
                BulkConsentsResponse(
                    results: results.enumerated().map {
                        BulkConsentResult(index: $0.offset, subject_id: $0.element.0.description, recorded: $0.element.1)
                    }), status: .created)
        }
    }

    static func subjectID(_ context: AppRequestContext) throws -> SubjectID {
        guard let id = SubjectID(try context.parameters.require("id")) else { throw Problem.invalidID("subject id") }
        return id
    }

    static func gpc(_ request: Request) -> Bool {
        request.headers[HTTPField.Name("Sec-GPC")!]?.trimmingCharacters(in: .whitespaces) == "1"
    }

    static func body(_ event: ConsentEvent, withEvidence: Bool) -> ConsentEventBody {
        ConsentEventBody(
            purpose: event.purpose.rawValue, status: event.status.rawValue, lawful_basis: event.lawfulBasis.rawValue,
            jurisdiction: event.jurisdiction, channel: event.channel, occurred_at: Timestamp.format(event.occurredAt),
            expires_at: event.expiresAt.map(Timestamp.format), notice_version: event.noticeVersion,
            evidence: withEvidence ? event.evidence?.unsafeValue : nil)
    }
}

import Foundation
import Hummingbird
import Requests
import Storage
import Vault
import VaultAPI
import VaultModel

/// | method | path | who | audit action |
/// |---|---|---|---|
/// | POST | /v1/requests | compliance | request.open |
/// | GET | /v1/requests | compliance | request.list (filters: status, kind, overdue) |
/// | GET | /v1/requests/{id} | compliance | request.read |
/// | POST | /v1/requests/{id}/verify, /execute, /reject, /extend, /lift | compliance | request.<step> |
/// | GET | /v1/requests/{id}/export | compliance | request.export |
/// | GET | /v1/requests/{id}/receipt | compliance | request.receipt |
struct RequestsController {
    let vault: ProfileVault
    static let roles: Set<RoleName> = [.compliance]

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("/requests") { request, context in
            _ = try context.requireRole(Self.roles)
            let body = try await JSONBody.decode(OpenRequestBody.self, from: request, context: context)
            let input = try Self.input(body)
            let record = try await vault.requests.open(input, caller: context.caller())
            return try JSONBody.response(Self.body(record), status: .created)
        }
        group.get("/requests") { request, context in
            _ = try context.requireRole(Self.roles)
            let parameters = request.uri.queryParameters
            var filter = RequestFilter()
            if let status = parameters["status"] {
                guard let status = RequestStatus(rawValue: String(status)) else { throw Self.invalid("status") }
                filter.status = status
            }
            if let kind = parameters["kind"] {
                guard let kind = RequestKind(rawValue: String(kind)) else { throw Self.invalid("kind") }
                filter.kind = kind
            }
            if parameters["overdue"] == "true" { filter.overdueAt = Date() }
            let records = try await vault.requests.list(filter, caller: context.caller())
            return try JSONBody.response(SubjectRequestListBody(requests: records.map { Self.body($0) }))
        }
        group.get("/requests/{id}") { _, context in
            _ = try context.requireRole(Self.roles)
            return try JSONBody.response(Self.body(try await vault.requests.get(try Self.id(context), caller: context.caller())))
        }
        group.post("/requests/{id}/verify") { request, context in
            _ = try context.requireRole(Self.roles)
            let body = try await JSONBody.decode(VerifyRequestBody.self, from: request, context: context)
            guard !body.method.isEmpty, body.method.count <= 128 else { throw Self.invalid("method") }
            return try JSONBody.response(Self.body(try await vault.requests.verify(try Self.id(context), method: body.method, caller: context.caller())))
        }
        group.post("/requests/{id}/execute") { _, context in
            _ = try context.requireRole(Self.roles)
            return try JSONBody.response(Self.body(try await vault.requests.execute(try Self.id(context), caller: context.caller())))
        }
        group.post("/requests/{id}/reject") { request, context in
            _ = try context.requireRole(Self.roles)
            let body = try await JSONBody.decode(ReasonBody.self, from: request, context: context)
            guard !body.reason.isEmpty, body.reason.count <= 1024 else { throw Self.invalid("reason") }
            return try JSONBody.response(Self.body(try await vault.requests.reject(try Self.id(context), reason: body.reason, caller: context.caller())))
        }
        group.post("/requests/{id}/extend") { request, context in
            _ = try context.requireRole(Self.roles)
            let body = try await JSONBody.decode(ReasonBody.self, from: request, context: context)
            guard body.reason.count <= 1024 else { throw Self.invalid("reason") }
            return try JSONBody.response(Self.body(try await vault.requests.extend(try Self.id(context), reason: body.reason, caller: context.caller())))
        }
        group.post("/requests/{id}/lift") { _, context in
            _ = try context.requireRole(Self.roles)
            return try JSONBody.response(Self.body(try await vault.requests.lift(try Self.id(context), caller: context.caller())))
        }
        group.get("/requests/{id}/export") { _, context in
            _ = try context.requireRole(Self.roles)
            return try JSONBody.response(try await vault.requests.export(try Self.id(context), caller: context.caller()))
        }
        group.get("/requests/{id}/receipt") { _, context in
            _ = try context.requireRole(Self.roles)
            let (receipt, notices) = try await vault.requests.receipt(try Self.id(context), caller: context.caller())
            return try JSONBody.response(Self.receiptBody(receipt, notices))
        }
    }

    /// The wire form of a signed receipt and its notices (API and console download).
    static func receiptBody(_ receipt: SignedReceipt, _ notices: [OutboxNotice]) -> ReceiptBody {
        ReceiptBody(
            signed: receipt.signed, signature: receipt.signature, public_key: receipt.public_key,
            notices: notices.map {
                ReceiptNoticeBody(id: $0.id.uuidString.lowercased(), source: $0.source.rawValue, acked_at: $0.ackedAt.map(Timestamp.format))
            })
    }

    static func id(_ context: AppRequestContext) throws -> UUID {
        guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw Problem.invalidID("request id") }
        return id
    }

    static func invalid(_ member: String) -> Problem {
        Problem(.badRequest, "invalid-parameter", "Invalid parameter", detail: "\(member) is not valid")
    }

    static func input(_ body: OpenRequestBody) throws -> RequestService.OpenInput {
        var issues: [BatchIssue] = []
        let kind = RequestKind(rawValue: body.kind)
        if kind == nil {
            issues.append(BatchIssue(index: 0, field: "kind", type: "invalid-value", reason: RequestKind.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        let regulation = Regulation(rawValue: body.regulation)
        if regulation == nil { issues.append(BatchIssue(index: 0, field: "regulation", type: "invalid-value", reason: "gdpr or ccpa")) }
        var subject: SubjectID?
        if let text = body.subject_id {
            subject = SubjectID(text)
            if subject == nil { issues.append(BatchIssue(index: 0, field: "subject_id", type: "invalid-value", reason: "not a UUID")) }
        }
        if (body.subject_id == nil) == (body.identifiers == nil) {
            issues.append(BatchIssue(index: 0, field: "subject_id", type: "missing-field", reason: "give exactly one of subject_id or identifiers"))
        }
        var received: Date?
        if let text = body.received_at {
            received = Timestamp.parse(text)
            if received == nil { issues.append(BatchIssue(index: 0, field: "received_at", type: "invalid-value", reason: "not an RFC 3339 time")) }
        }
        let purposes = (body.purposes ?? []).compactMap { text -> Purpose? in
            guard let purpose = Purpose(text) else {
                issues.append(BatchIssue(index: 0, field: "purposes", type: "unknown-purpose", reason: "not a purpose key"))
                return nil
            }
            return purpose
        }
        guard issues.isEmpty, let kind, let regulation else { throw IngestError.invalidBatch(issues) }
        return RequestService.OpenInput(
            kind: kind, regulation: regulation, subjectID: subject, identifiers: body.identifiers, receivedAt: received,
            purposes: purposes, corrections: body.fields ?? [:])
    }

    static func body(_ r: RequestRecord, now: Date = Date()) -> SubjectRequestBody {
        let due = r.effectiveDue
        let open = r.status.isOpen
        // Whole days, counted as a person does: due in 30.9 days is 31 days left, 0.2 days late is 1 day overdue.
        let days = due.timeIntervalSince(now) / 86400
        let daysLeft = Int(days >= 0 ? days.rounded(.up) : days.rounded(.down))
        return SubjectRequestBody(
            id: r.id.uuidString.lowercased(), kind: r.kind.rawValue, regulation: r.regulation.rawValue, subject_id: r.subjectID?.description,
            status: r.status.rawValue,
            received_at: Timestamp.format(r.receivedAt), due_at: Timestamp.format(r.dueAt), extended_due_at: r.extendedDueAt.map(Timestamp.format),
            extension_reason: r.extensionReason, overdue: open && due < now, days_left: daysLeft,
            duplicate_of: r.duplicateOf?.uuidString.lowercased(), verification_method: r.verificationMethod,
            completed_at: r.completedAt.map(Timestamp.format), rejected_reason: r.rejectedReason, purposes: r.purposes)
    }
}

import Foundation
import Hummingbird
import Requests
import Storage
import Vault
import VaultAPI
import VaultModel

/// The request queue, a request's page, its steps and its downloads (compliance only). Each
/// calls the `RequestService` method the API calls, so each is audited the same way.
extension ConsoleController {
    func registerRequestPages(on group: RouterGroup<AppRequestContext>) {
        group.get("") { request, context in try await queue(request, context) }
        group.get("/{id}") { _, context in
            let record = try await vault.requests.get(try Self.requestID(context), caller: context.caller())
            return ConsolePage.render("request", title: "Request", try await requestPage(record, context: context), context: context)
        }
        for step in ["verify", "execute", "reject", "extend"] {
            group.post("/{id}/\(step)") { _, context in try await act(step, context) }
        }
        group.get("/{id}/receipt") { _, context in
            let id = try Self.requestID(context)
            let (receipt, notices) = try await vault.requests.receipt(id, caller: context.caller())
            let body = RequestsController.receiptBody(receipt, notices)
            return ConsolePage.download(try JSONBody.encoder.encode(body), filename: "erasure-receipt-\(id.uuidString.lowercased()).json")
        }
        group.get("/{id}/export") { _, context in
            let id = try Self.requestID(context)
            let export = try await vault.requests.export(id, caller: context.caller())
            return ConsolePage.download(try JSONBody.encoder.encode(export), filename: "access-export-\(id.uuidString.lowercased()).json")
        }
    }

    func queue(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        var filter = RequestFilter()
        func value(_ name: String) -> String? { parameters[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        if let status = value("status") {
            guard let status = RequestStatus(rawValue: status) else { return ConsolePage.error(status: .badRequest, "Unknown status.", context: context) }
            filter.status = status
        }
        if let kind = value("kind") {
            guard let kind = RequestKind(rawValue: kind) else { return ConsolePage.error(status: .badRequest, "Unknown kind.", context: context) }
            filter.kind = kind
        }
        let regulation = value("regulation")
        if let regulation, Regulation(rawValue: regulation) == nil {
            return ConsolePage.error(status: .badRequest, "Unknown regulation.", context: context)
        }
        let overdueOnly = value("overdue") == "on"
        if overdueOnly { filter.overdueAt = Date() }
        let now = Date()
        let rows = try await vault.requests.list(filter, caller: context.caller()).map { RequestsController.body($0, now: now) }
            .filter { (regulation == nil || $0.regulation == regulation) && (!overdueOnly || $0.overdue) }
            .sorted(by: SubjectRequestBody.queueOrder)
        func options(_ all: [String], _ chosen: String?) -> [[String: Any]] {
            all.map { ["value": $0, "label": Self.label($0), "selected": $0 == chosen] }
        }
        return ConsolePage.render(
            "queue", title: "Requests",
            [
                "rows": rows.map(Self.row), "count": rows.count, "overdueOnly": overdueOnly,
                "statuses": options(RequestStatus.allCases.map(\.rawValue), filter.status?.rawValue),
                "kinds": options(RequestKind.allCases.map(\.rawValue), filter.kind?.rawValue),
                "regulations": options(Regulation.allCases.map(\.rawValue), regulation),
            ], context: context)
    }

    func act(_ step: String, _ context: AppRequestContext) async throws -> Response {
        let id = try Self.requestID(context)
        let reason = (context.form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            switch step {
            case "verify":
                let method = (context.form["method"] ?? "").trimmingCharacters(in: .whitespaces)
                guard !method.isEmpty, method.count <= 128 else {
                    return ConsolePage.error(status: .badRequest, "Choose how the identity was verified.", context: context)
                }
                _ = try await vault.requests.verify(id, method: method, caller: context.caller())
            case "execute": _ = try await vault.requests.execute(id, caller: context.caller())
            case "reject":
                guard !reason.isEmpty, reason.count <= 1024 else {
                    return ConsolePage.error(status: .badRequest, "A rejection needs a reason.", context: context)
                }
                _ = try await vault.requests.reject(id, reason: reason, caller: context.caller())
            default:
                guard !reason.isEmpty, reason.count <= 1024 else {
                    return ConsolePage.error(status: .badRequest, "An extension needs a reason.", context: context)
                }
                _ = try await vault.requests.extend(id, reason: reason, caller: context.caller())
            }
        } catch let error as RequestError {
            if case .notFound = error { throw error }
            return ConsolePage.error(status: .conflict, "Not done: \(error.description).", context: context)
        }
        return ConsolePage.redirect(to: "/console/requests/\(id.uuidString.lowercased())")
    }

    static func requestID(_ context: AppRequestContext) throws -> UUID {
        guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw Problem.invalidID("request id") }
        return id
    }

    static func row(_ r: SubjectRequestBody) -> [String: Any] {
        let open = RequestStatus(rawValue: r.status)?.isOpen == true
        return [
            "id": r.id, "kind": r.kind, "regulation": r.regulation, "status": r.status, "statusLabel": label(r.status),
            "received": String(r.received_at.prefix(10)), "due": String((r.extended_due_at ?? r.due_at).prefix(10)),
            "daysLeft": r.days_left, "dueLabel": r.dueLabel ?? "", "overdue": r.overdue, "open": open, "extended": r.extended_due_at != nil,
        ]
    }

    func requestPage(_ record: RequestRecord, context: AppRequestContext) async throws -> [String: Any] {
        let r = RequestsController.body(record)
        var page = Self.row(r)
        page["subject"] = r.subject_id ?? "none held"
        // Absent, not empty: a Mustache section renders for any present value, "" included.
        if let duplicate = r.duplicate_of { page["duplicateOf"] = duplicate }
        if let reason = r.extension_reason, !reason.isEmpty { page["extensionReason"] = reason }
        if let reason = r.rejected_reason, !reason.isEmpty { page["rejectedReason"] = reason }
        page["originalDue"] = String(r.due_at.prefix(10))
        // The buttons the lifecycle allows from here (`RequestLifecycle`, through `moved(by:)`).
        page["canVerify"] = record.moved(by: .verify) != nil && record.kind != .optOut
        page["canExecute"] = record.moved(by: .execute) != nil
        page["canReject"] = record.moved(by: .reject) != nil
        page["canExtend"] =
            record.status.isOpen && record.status != .inProgress && record.extendedDueAt == nil && record.kind != .optOut && record.dueAt > Date()
        page["isErasure"] = record.kind == .erasure
        page["steps"] = Self.lifecycle(record)
        if record.status == .completed && record.kind == .erasure {
            let (receipt, _) = try await vault.requests.receipt(record.id, caller: context.caller())
            page["receipt"] = ["valid": receipt.verifies(with: vault.audit.publicKey)] as [String: Any]
        }
        let notices = try await vault.requests.notices(of: record.id)
        page["notices"] = notices.map {
            [
                "source": $0.source.rawValue, "kind": $0.kind.rawValue.replacingOccurrences(of: "_", with: " "), "sent": Timestamp.format($0.createdAt),
                "acked": $0.ackedAt.map(Timestamp.format) ?? "not yet", "pending": $0.ackedAt == nil,
            ] as [String: Any]
        }
        page["hasNotices"] = !notices.isEmpty
        page["pendingNotices"] = notices.filter { $0.ackedAt == nil }.count
        page["allAcked"] = !notices.isEmpty && notices.allSatisfy { $0.ackedAt != nil }
        page["exportable"] = record.status == .completed && (record.kind == .access || record.kind == .portability)
        return page
    }

    /// Received → verified → in progress → completed | rejected, with the time of each step taken.
    static func lifecycle(_ r: RequestRecord) -> [[String: Any]] {
        func step(_ name: String, _ at: Date?, _ note: String = "") -> [String: Any] {
            var step: [String: Any] = ["name": name, "done": at != nil]
            if let at { step["at"] = Timestamp.format(at) }
            if !note.isEmpty { step["note"] = note }
            return step
        }
        var steps = [step("Received", r.receivedAt)]
        if r.kind != .optOut || r.verifiedAt != nil {
            steps.append(step("Verified", r.verifiedAt, r.verificationMethod.map { "by \($0)" } ?? ""))
        }
        if let extended = r.extendedDueAt {
            steps.append(step("Deadline extended", nil, "to \(Timestamp.format(extended).prefix(10))"))
            steps[steps.count - 1]["done"] = true
        }
        if r.status == .rejected {
            steps.append(step("Rejected", r.completedAt ?? r.startedAt, r.rejectedReason ?? ""))
            steps[steps.count - 1]["done"] = true
        } else {
            steps.append(step("In progress", r.startedAt))
            steps.append(step("Completed", r.completedAt))
        }
        return steps
    }
}

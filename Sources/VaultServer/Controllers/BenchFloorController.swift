import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Vault
import VaultModel

/// The steps of a view, one route each, served only with `vaultd --bench-routes`, so the
/// benchmark can show in one run what each step costs against the bare route:
///
/// | method | path | who | does |
/// |---|---|---|---|
/// | GET | /v1/bench/authenticated | admin | authentication only |
/// | GET | /v1/bench/stored/{id} | admin | + the store read of the sealed profile |
/// | GET | /v1/bench/opened/{id} | admin | + opening it: data keys, decryption, survivorship |
/// | GET | /v1/bench/subject-ids?limit=N | admin | up to N surviving subject ids, one per line: the spread view load's targets |
///
/// The view itself (`GET /v1/subjects/{id}`) adds policy, the audit append and its JSON.
/// Every route answers `BenchController.body`, a fixed view-sized body, so none discloses a
/// value; that is also why they are not audited (nothing is read out), and why they are
/// admin-only: they tell whether a subject id exists, which admins already see in the audit
/// log. Never enabled in production.
struct BenchFloorController {
    let vault: ProfileVault

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("/bench/subject-ids") { request, context in
            _ = try context.requireRole([.admin])
            guard let limit = Int(request.uri.queryParameters["limit"].map(String.init) ?? "1000"), (1...1_000_000).contains(limit) else {
                throw Problem(.badRequest, "invalid-parameter", "Invalid query parameter", detail: "limit must be 1 to 1000000")
            }
            var ids: [SubjectID] = []
            while ids.count < limit {
                let page = try await vault.subjects.ids(after: ids.last, limit: min(5000, limit - ids.count))
                guard !page.isEmpty else { break }
                ids += page
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ids.map { $0.description + "\n" }.joined())))
        }
        group.get("/bench/authenticated") { _, context in
            _ = try context.requireRole([.admin])
            return Self.fixedBody()
        }
        group.get("/bench/stored/{id}") { _, context in
            let id = try Self.subject(context)
            guard try await vault.reader.storedProfileExists(id) else { throw Problem.notFound("no subject with this id") }
            return Self.fixedBody()
        }
        group.get("/bench/opened/{id}") { _, context in
            let id = try Self.subject(context)
            guard let profile = try await vault.reader.readForView(id) else { throw Problem.notFound("no subject with this id") }
            for name in profile.fieldNames { _ = try profile.value(of: name) }
            return Self.fixedBody()
        }
    }

    static func subject(_ context: AppRequestContext) throws -> SubjectID {
        _ = try context.requireRole([.admin])
        guard let id = SubjectID(try context.parameters.require("id")) else { throw Problem.invalidID("subject id") }
        return id
    }

    static func fixedBody() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: BenchController.body))
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Storage
import Vault
import VaultAPI
import VaultModel

/// | method | path | who | audit action |
/// |---|---|---|---|
/// | POST | /v1/keys/rotate | admin | keys.rotate |
/// | POST | /v1/keys/{version}/retire | admin | keys.retire |
/// | POST | /v1/subjects/{id}/rotate-key | admin | keys.rotate_subject (re-encrypts that subject's values) |
/// | POST | /v1/retention/run | admin | retention.sweep (`{"dry_run": true}` counts only) |
/// | POST | /v1/backups | admin | backup.create (the file streams back; `X-Key-Versions` lists the versions it needs) |
/// (`GET /v1/keys` is served with the outbox routes: public key, versions, rewrap progress.)
struct KeysController {
    let vault: ProfileVault

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("/keys/rotate") { _, context in
            _ = try context.requireRole([.admin])
            _ = try await vault.rotation.rotate(caller: context.caller())
            return try JSONBody.response(try await Self.body(vault), status: .accepted)
        }
        group.post("/retention/run") { request, context in
            _ = try context.requireRole([.admin])
            let body = try await JSONBody.decode(RetentionRunBody.self, from: request, context: context)
            let report = try await vault.retention.run(dryRun: body.dry_run ?? false, caller: context.caller())
            return try JSONBody.response(
                RetentionReportBody(
                    dry_run: report.dryRun, fields: Dictionary(uniqueKeysWithValues: report.fields.map { ($0.key.rawValue, $0.value) }),
                    events: report.events, held_values: report.held))
        }
        group.post("/backups") { _, context in
            _ = try context.requireRole([.admin])
            let (file, versions) = try await vault.backups.create(caller: context.caller())
            let data = try Data(contentsOf: file)
            try? FileManager.default.removeItem(at: file)
            var headers = HTTPFields()
            headers[.contentType] = "application/vnd.sqlite3"
            headers[HTTPField.Name("X-Key-Versions")!] = versions.map(String.init).joined(separator: ",")
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        group.post("/subjects/{id}/rotate-key") { _, context in
            _ = try context.requireRole([.admin])
            guard let id = SubjectID(try context.parameters.require("id")) else { throw Problem.invalidID("subject id") }
            let values = try await vault.rotation.rotateDataKey(of: id, caller: context.caller())
            return try JSONBody.response(["reencrypted_values": values])
        }
        group.post("/keys/{version}/retire") { _, context in
            _ = try context.requireRole([.admin])
            guard let version = Int(try context.parameters.require("version")), version > 0 else { throw Problem.invalidID("version") }
            try await vault.rotation.retire(version, caller: context.caller())
            return try JSONBody.response(try await Self.body(vault))
        }
    }

    /// How a version serves: the active one wraps new keys; an older one still opens what is
    /// wrapped under it (`decrypt-only`) until it is retired.
    static func state(of version: KeyVersionRecord, active: Int) -> String {
        if version.version == active { return "active" }
        return version.state == "active" ? "decrypt-only" : version.state
    }

    static func body(_ vault: ProfileVault) async throws -> KeysBody {
        let status = try await vault.rotation.status()
        let versions = try await vault.rotation.versions()
        return KeysBody(
            signing_public_key: Data(vault.audit.publicKey.bytes).base64EncodedString(), active_version: status.activeVersion,
            versions: versions.map {
                .init(
                    version: $0.version, state: Self.state(of: $0, active: status.activeVersion), created_at: Timestamp.format($0.createdAt),
                    keys: status.counts[$0.version] ?? 0)
            },
            rewrap: .init(pending: status.pending, total: status.total, rate_per_second: status.ratePerSecond, eta_seconds: status.etaSeconds))
    }
}

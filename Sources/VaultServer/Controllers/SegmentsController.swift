import Foundation
import Hummingbird
import NIOCore
import Vault
import VaultAPI
import VaultModel

/// | method | path | who | audit action |
/// |---|---|---|---|
/// | POST | /v1/segments/query | any role, for a purpose it holds (X-Purpose) | segment.query |
///
/// Answers NDJSON: one redacted view per matching subject. The matches are collected and
/// audited before the first line is written (fail closed), then streamed.
struct SegmentsController {
    let vault: ProfileVault
    /// The lookup limiter: a segment query finds people by their values as a lookup does, so
    /// it draws on the same per-principal allowance (else it would be a lookup without a limit).
    let lookupLimiter: RateLimiter

    struct Body: Decodable, KnownMembers {
        let filter: JSONValue
        let limit: Int?
        static let members: Set<String> = ["filter", "limit"]
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("/segments/query") { request, context in
            let role = try context.requireRole()
            try SubjectsController.drawLookup(lookupLimiter, context)
            let purpose = try SubjectsController.purpose(of: request, in: vault.bundle.purposes)
            let body = try await JSONBody.decode(Body.self, from: request, context: context)
            let limit = body.limit ?? 100
            guard (1...1000).contains(limit) else {
                throw Problem(.badRequest, "invalid-parameter", "Invalid query parameter", detail: "limit must be 1 to 1000")
            }
            let filter = try vault.segments.parse(body.filter)
            let views = try await vault.segments.query(filter, role: role, purpose: purpose, limit: limit, caller: context.caller(purpose: purpose))
            var lines = ByteBuffer()
            for view in views {
                lines.writeBytes(try JSONBody.encoder.encode(SubjectsController.body(of: view, explain: false)))
                lines.writeInteger(UInt8(ascii: "\n"))
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/x-ndjson"
            let chunks = Self.chunks(of: lines, size: 64 * 1024)
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    for chunk in chunks { try await writer.write(chunk) }
                    try await writer.finish(nil)
                })
        }
    }

    static func chunks(of buffer: ByteBuffer, size: Int) -> [ByteBuffer] {
        var buffer = buffer
        var chunks: [ByteBuffer] = []
        while buffer.readableBytes > 0 {
            chunks.append(buffer.readSlice(length: min(size, buffer.readableBytes))!)
        }
        return chunks
    }
}

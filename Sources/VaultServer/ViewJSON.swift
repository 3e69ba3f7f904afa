import Hummingbird
import VaultAPI
import VaultModel

/// The view's JSON written directly: Foundation's `JSONEncoder` took 7% of the server's CPU
/// under a load of views (boxing every value through `Encodable`). Same output as
/// `JSONBody.response`: keys sorted, absent optionals omitted, slashes not escaped. Views
/// with `?explain=true` keep the encoder (rare, and their `decisions` are nested objects).
enum ViewJSON {
    static func response(_ body: SubjectViewBody) throws -> Response {
        guard let bytes = bytes(body) else { return try JSONBody.response(body) }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The body's JSON; nil for a view with decisions (left to the encoder).
    static func bytes(_ body: SubjectViewBody) -> [UInt8]? {
        guard body.decisions == nil else { return nil }
        var json = JSONWriter(capacity: 1024)
        json.open()
        if let aggregates = body.aggregates {
            json.key("aggregates")
            json.open()
            if let last = aggregates.last_contact {
                json.key("last_contact")
                json.string(last)
            }
            if let value = aggregates.lifetime_value {
                json.key("lifetime_value")
                json.number(value)
            }
            if let open = aggregates.open_tickets {
                json.key("open_tickets")
                json.raw(String(open))
            }
            if let orders = aggregates.order_count {
                json.key("order_count")
                json.raw(String(orders))
            }
            json.close()
        }
        json.key("fields")
        json.open()
        for (name, value) in body.fields.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            json.key(name)
            json.string(value)
        }
        json.close()
        json.key("policy_version")
        json.string(body.policy_version)
        json.key("purpose")
        json.string(body.purpose)
        json.key("restricted")
        json.raw(body.restricted ? "true" : "false")
        json.key("role")
        json.string(body.role)
        json.key("sources")
        json.strings(body.sources)
        json.key("subject_id")
        json.string(body.subject_id)
        json.close()
        return json.bytes
    }
}

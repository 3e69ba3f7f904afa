import Hummingbird
import VaultAPI

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
        var json = JSONWriter()
        json.open()
        if let aggregates = body.aggregates {
            json.key("aggregates")
            json.open()
            if let last = aggregates.last_contact { json.key("last_contact"); json.string(last) }
            if let value = aggregates.lifetime_value { json.key("lifetime_value"); json.number(value) }
            if let open = aggregates.open_tickets { json.key("open_tickets"); json.raw(String(open)) }
            if let orders = aggregates.order_count { json.key("order_count"); json.raw(String(orders)) }
            json.close()
        }
        json.key("fields")
        json.open()
        for (name, value) in body.fields.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            json.key(name)
            json.string(value)
        }
        json.close()
        json.key("policy_version"); json.string(body.policy_version)
        json.key("purpose"); json.string(body.purpose)
        json.key("restricted"); json.raw(body.restricted ? "true" : "false")
        json.key("role"); json.string(body.role)
        json.key("sources"); json.strings(body.sources)
        json.key("subject_id"); json.string(body.subject_id)
        json.close()
        return json.bytes
    }
}

/// A minimal JSON writer: objects whose keys the caller gives in order, strings, numbers.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Per open object: whether a member was written (the next needs a comma).
    private var hasMembers: [Bool] = []

    init() { bytes.reserveCapacity(1024) }

    mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        hasMembers.append(false)
    }

    mutating func key(_ name: String) {
        if hasMembers[hasMembers.count - 1] { bytes.append(UInt8(ascii: ",")) }
        hasMembers[hasMembers.count - 1] = true
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        hasMembers.removeLast()
    }

    mutating func raw(_ text: String) { bytes += text.utf8 }

    mutating func strings(_ items: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(item)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Quote, backslash and control characters escaped; everything else, non-ASCII
    /// included, as UTF-8.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Integral values without a fraction (as `JSONEncoder` writes them), others in Swift's
    /// shortest round-tripping form; JSON has no infinities or NaN.
    mutating func number(_ value: Double) {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            raw(String(Int64(value)))
        } else if value.isFinite {
            raw(String(value))
        } else {
            raw("null")
        }
    }
}

import Catalog
import Foundation
import Hummingbird
import Vault
import VaultAPI
import VaultModel

/// JSON in and out. Decoding failures become `malformed-json` problems that say where the
/// body is wrong (a coding path) but never quote it.
enum JSONBody {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: AppRequestContext) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        // JSONDecoder keeps one of two values of a repeated member and drops the other silently;
        // refuse such a body instead. (Other faults are left to JSONDecoder, which names the path.)
        var parsed: JSONValue?
        do {
            parsed = try JSONParser.parse(Array(buffer.readableBytesView))
        } catch .repeatedMember {
            throw Problem.malformedJSON("an object in the body repeats a member name")
        } catch .tooDeep {
            // Refused, not left to JSONDecoder: the repeated-member check above did not reach
            // below this depth, so such a body would pass it unchecked.
            throw Problem.malformedJSON("the body nests deeper than \(JSONParser.maximumDepth) levels")
        } catch {}
        if let known = T.self as? any KnownMembers.Type, case .object(let members)? = parsed {
            try refuseUnknown(members.keys, known: known.members)
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw Problem.malformedJSON(describe(error))
        } catch {
            throw Problem.malformedJSON("the body is not valid JSON")
        }
    }

    /// 422 for top-level members the body type doesn't define, named only when they are
    /// near misses of a defined one (`SubmittedName`).
    static func refuseUnknown(_ names: some Sequence<String>, known: Set<String>) throws {
        let unknown = names.filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw IngestError.invalidBatch(
                unknown.map { name in
                    let echo = SubmittedName.unknown(name, known: known.sorted(), what: "member")
                    return BatchIssue(index: 0, field: echo.field, type: "unknown-field", reason: echo.reason)
                })
        }
    }

    static func describe(_ error: DecodingError) -> String {
        // A path names our members and array indexes; a dictionary key is the client's own
        // (an identifier's name may be an email address) and shows as `*` (`SubmittedName`).
        func component(_ key: any CodingKey) -> String {
            if let index = key.intValue { return String(index) }
            return String(describing: type(of: key)) == "CodingKeys" ? key.stringValue : "*"
        }
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map(component).joined(separator: ".")
            return p.isEmpty ? "the body" : p
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing member '\(key.stringValue)' in \(path(context))"
        case .typeMismatch(_, let context): return "wrong type at \(path(context))"
        case .valueNotFound(_, let context): return "missing value at \(path(context))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the body is not valid JSON" : "invalid value at \(path(context))"
        @unknown default: return "the body is not valid JSON"
        }
    }

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

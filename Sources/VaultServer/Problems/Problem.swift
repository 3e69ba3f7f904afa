import Foundation
import HTTPTypes
import Hummingbird
import VaultAPI

/// An error that answers as `application/problem+json` (RFC 9457).
///
/// `slug` is the stable part of the type URI; `title` is fixed per slug; `detail` is built
/// from ids, names and counts only, never from a submitted value.
public struct Problem: Error, Sendable {
    public let status: HTTPResponse.Status
    public let slug: String
    public let title: String
    public let detail: String?
    public let items: [ProblemBody.Item]?
    /// Seconds for `Retry-After` (429).
    public let retryAfter: Int?

    public init(
        _ status: HTTPResponse.Status, _ slug: String, _ title: String, detail: String? = nil, items: [ProblemBody.Item]? = nil,
        retryAfter: Int? = nil
    ) {
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.items = items
        self.retryAfter = retryAfter
    }

    func body(requestID: String) -> ProblemBody {
        ProblemBody(
            type: ProblemBody.typeBase + slug, title: title, status: Int(status.code), detail: detail,
            request_id: requestID, errors: items)
    }

    func response(requestID: String) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body(requestID: requestID))) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        headers[.requestID] = requestID
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Problem {
    static let unauthorized = Problem(.unauthorized, "unauthorized", "Authentication required", detail: "send a valid bearer token")
    static func forbidden(_ detail: String) -> Problem { Problem(.forbidden, "forbidden", "Not allowed", detail: detail) }
    static func notFound(_ detail: String) -> Problem { Problem(.notFound, "not-found", "Not found", detail: detail) }
    static func invalidID(_ what: String) -> Problem { Problem(.badRequest, "invalid-id", "Invalid identifier in path", detail: "\(what) must be a UUID") }
    static func malformedJSON(_ detail: String) -> Problem { Problem(.badRequest, "malformed-json", "Malformed JSON body", detail: detail) }
    static let purposeRequired = Problem(.badRequest, "purpose-required", "Purpose required", detail: "reads must carry an X-Purpose header")
    static let invalidPurpose = Problem(.badRequest, "invalid-purpose", "Invalid purpose", detail: "X-Purpose must be one dotted purpose key")
    static let unknownPurpose = Problem(.badRequest, "invalid-purpose", "Invalid purpose", detail: "X-Purpose must be a purpose that purposes.yaml defines")
    static let internalError = Problem(.internalServerError, "internal-error", "Internal error", detail: "the error was logged with this request id")
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let purpose = HTTPField.Name("X-Purpose")!
}

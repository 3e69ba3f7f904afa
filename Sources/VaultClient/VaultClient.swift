import Foundation
import VaultAPI

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP client of the v1 API, for vaultctl and the tests.
public struct VaultClient: Sendable {
    public let baseURL: URL
    public let token: String?
    let session: URLSession

    /// Seconds to wait for an answer: a vaultd that accepts but never answers is given up on.
    public let timeout: TimeInterval

    public init(baseURL: URL, token: String?, timeout: TimeInterval = 120) {
        self.timeout = timeout
        self.baseURL = baseURL
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        session = URLSession(configuration: configuration)
    }

    /// Sends a request; decodes a 2xx body as `T`, throws `ClientError.problem` otherwise.
    public func send<T: Decodable>(
        _ method: String, _ path: String, body: (some Encodable)? = Optional<Empty>.none,
        headers: [String: String] = [:], as: T.Type = T.self
    ) async throws -> T {
        let (data, status) = try await raw(method, path, body: body, headers: headers)
        if T.self == Empty.self { return Empty() as! T }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ClientError.invalidResponse(status: status)
        }
    }

    /// The status and body of any request; throws for non-2xx answers.
    public func raw(
        _ method: String, _ path: String, body: (some Encodable)? = Optional<Empty>.none,
        headers: [String: String] = [:]
    ) async throws -> (Data, Int) {
        let (data, response) = try await exchange(method, path, body: body, headers: headers)
        return (data, response.statusCode)
    }

    /// The body and the response (for its headers) of a request that succeeded.
    public func exchange(
        _ method: String, _ path: String, body: (some Encodable)? = Optional<Empty>.none,
        headers: [String: String] = [:]
    ) async throws -> (Data, HTTPURLResponse) {
        guard let url = URL(string: path, relativeTo: baseURL) else { throw ClientError.invalidAddress }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONEncoder().encode(body)
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch let error as URLError where error.code == .timedOut {
            throw ClientError.timedOut(baseURL.absoluteString, seconds: timeout)
        } catch {
            throw ClientError.unreachable(baseURL.absoluteString)
        }
        guard let http = response as? HTTPURLResponse else { throw ClientError.invalidResponse(status: 0) }
        guard (200..<300).contains(http.statusCode) else {
            if let problem = try? JSONDecoder().decode(ProblemBody.self, from: data) { throw ClientError.problem(problem) }
            throw ClientError.invalidResponse(status: http.statusCode)
        }
        return (data, http)
    }
}

/// An empty body.
public struct Empty: Codable, Sendable {
    public init() {}
}

public enum ClientError: Error, CustomStringConvertible, Sendable {
    case unreachable(String)
    /// Connected (or trying to) but no answer within the client's timeout.
    case timedOut(String, seconds: TimeInterval)
    case invalidAddress
    case invalidResponse(status: Int)
    case problem(ProblemBody)

    public var description: String {
        switch self {
        case .unreachable(let address): "vaultd is not reachable at \(address)"
        case .timedOut(let address, let seconds):
            "vaultd at \(address) did not answer within \(String(format: "%g", seconds)) s (--timeout or PROFILEVAULT_TIMEOUT waits longer)"
        case .invalidAddress: "the vault address is not a valid URL"
        case .invalidResponse(let status): "vaultd sent an unexpected response (HTTP \(status))"
        case .problem(let problem): "\(problem.title): \(Self.reasons(problem)) (HTTP \(problem.status))"
        }
    }

    /// What the server said was wrong: each item's field (and index in a batch) and reason, as
    /// `vaultctl import` prints them per line; the detail when there are none.
    static func reasons(_ problem: ProblemBody) -> String {
        guard let items = problem.errors, !items.isEmpty else { return problem.detail ?? problem.slug }
        let batch = items.contains { ($0.index ?? 0) > 0 }
        let shown = items.prefix(5).map { item in
            let place = [batch ? item.index.map { "item \($0)" } : nil, item.field ?? item.file.map { file in item.line.map { "\(file):\($0)" } ?? file }]
                .compactMap { $0 }.joined(separator: " ")
            let reason = item.detail ?? item.type.split(separator: "/").last.map(String.init) ?? item.type
            return place.isEmpty ? reason : "\(place): \(reason)"
        }
        return shown.joined(separator: "; ") + (items.count > shown.count ? "; and \(items.count - shown.count) more" : "")
    }
}

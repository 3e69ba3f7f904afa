import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Plain HTTP to a vaultd child: the status and body of any answer, 4xx and 5xx included.
struct ProcessHTTP: Sendable {
    let address: String
    let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        return URLSession(configuration: configuration)
    }()

    func call(_ method: String, _ path: String, token: String? = nil, purpose: String? = nil, json: String? = nil) async throws -> (status: Int, body: Data) {
        try await call(method, path, token: token, purpose: purpose, bytes: json.map { Data($0.utf8) })
    }

    /// Any bytes as a JSON body, valid or not.
    func call(_ method: String, _ path: String, token: String? = nil, purpose: String? = nil, bytes: Data?) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: address + path)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let purpose { request.setValue(purpose, forHTTPHeaderField: "X-Purpose") }
        if let bytes {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = bytes
        }
        let (data, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    func object(_ method: String, _ path: String, token: String? = nil, purpose: String? = nil, json: String? = nil) async throws -> [String: Any] {
        let (_, body) = try await call(method, path, token: token, purpose: purpose, json: json)
        return (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
    }
}

/// The token printed by `vaultd --demo` for `principal`, or the admin token line.
func printedToken(_ output: String, _ principal: String) -> String {
    let line = output.split(separator: "\n").first { $0.contains(principal) } ?? ""
    return String(line.split(separator: " ").last ?? "")
}

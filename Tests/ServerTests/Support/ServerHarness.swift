import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Vault
import VaultAPI
import VaultModel
import VaultServer
import VaultTestSupport

/// The production application on a temporary vault, with a token per principal we need.
struct ServerHarness {
    let temporary: TemporaryVault
    let admin: String
    let compliance: String
    let support: String
    let crm: String
    let billing: String

    static func make(dualControl: Bool = false) async throws -> ServerHarness {
        let t = try await TemporaryVault.make(maximumBatch: 50, dualControl: dualControl)
        func token(_ kind: Principal.Kind) async throws -> String {
            try await t.vault.tokens.create(principal: "test", kind: kind, caller: .system("test")).token.unsafeValue
        }
        return ServerHarness(
            temporary: t, admin: try await token(.role(.admin)), compliance: try await token(.role(.compliance)),
            support: try await token(.role("support")), crm: try await token(.ingest(SourceName("crm")!)),
            billing: try await token(.ingest(SourceName("billing")!)))
    }

    /// Extra role tokens, created before the server starts.
    func roleTokens(_ roles: [String]) async throws -> [String: String] {
        var tokens: [String: String] = [:]
        for role in roles {
            tokens[role] = try await temporary.vault.tokens.create(principal: "test-\(role)", kind: .role(RoleName(role)), caller: .system("test")).token
                .unsafeValue
        }
        return tokens
    }

    /// Extra ingest tokens, `[source: name]`, created before the server starts.
    func ingestTokens(_ sources: [String: String]) async throws -> [String: String] {
        var tokens: [String: String] = [:]
        for (source, name) in sources {
            tokens[name] = try await temporary.vault.tokens.create(principal: name, kind: .ingest(SourceName(source)!), caller: .system("test")).token
                .unsafeValue
        }
        return tokens
    }

    /// Runs the app; the data directory is removed afterwards unless `keep` (to reopen it).
    /// `revealOutcomes`: ingest answers say created/linked/merged with the subject id, as the
    /// demo does (most tests read the id from them); false keeps sources.yaml's choice.
    func run(
        keep: Bool = false, lookupsPerMinute: Int = 600, benchRoutes: Bool = false, revealOutcomes: Bool = true, logs: LogCapture? = nil,
        _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void
    ) async throws {
        defer { if !keep { temporary.remove() } }
        var logger = logs?.logger() ?? Logger(label: "test")
        if logs == nil { logger.logLevel = .warning }
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.lookupsPerMinute = lookupsPerMinute
        configuration.benchRoutes = benchRoutes
        configuration.revealOutcomes = revealOutcomes
        let app = try buildApplication(vault: temporary.vault, configuration: configuration, logger: logger)
        try await app.test(.router, body)
    }
}

struct Reply: Sendable {
    let status: Int
    let contentType: String?
    let requestID: String?
    let body: Data

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: body) }
    var problem: ProblemBody? { try? decode(ProblemBody.self) }
    var text: String { String(decoding: body, as: UTF8.self) }
}

extension TestClientProtocol {
    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, purpose: String? = nil,
        json: String? = nil, headers extra: [String: String] = [:]
    ) async throws -> Reply {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let purpose { headers[HTTPField.Name("X-Purpose")!] = purpose }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            Reply(
                status: Int(response.status.code), contentType: response.headers[.contentType],
                requestID: response.headers[HTTPField.Name("X-Request-Id")!], body: Data(response.body.readableBytesView))
        }
    }
}

extension TestClientProtocol {
    /// Raw bytes and repeated headers, for bad-input tests.
    func send(_ method: HTTPRequest.Method, _ uri: String, headers: [(String, String)], body: Data?) async throws -> Reply {
        var fields = HTTPFields()
        for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return try await execute(uri: uri, method: method, headers: fields, body: body.map { ByteBuffer(bytes: $0) }) { response in
            Reply(
                status: Int(response.status.code), contentType: response.headers[.contentType],
                requestID: response.headers[HTTPField.Name("X-Request-Id")!], body: Data(response.body.readableBytesView))
        }
    }
}

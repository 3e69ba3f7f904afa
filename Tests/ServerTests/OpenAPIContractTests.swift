import Foundation
import Hummingbird
import Testing
import VaultServer
import VaultTestSupport
import Yams

/// `openapi.yaml` and the router must describe the same routes: a route served but not
/// documented, or documented but not served, fails here.
@Suite("OpenAPI contract")
struct OpenAPIContractTests {
    static let document = TemporaryVault.policies.deletingLastPathComponent().appendingPathComponent("openapi.yaml")

    /// `/v1/subjects/{id}` and `/v1/subjects/{subject}` compare equal.
    static func shape(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("{") || $0.hasPrefix(":") ? "{}" : String($0) }.joined(separator: "/")
    }

    @Test("every route is documented and every documented operation is served")
    func routesMatch() async throws {
        let t = try await TemporaryVault.make()
        defer { t.remove() }
        let router = buildRouter(vault: t.vault)
        let served = Set(router.routes.map { "\($0.method.rawValue) \(Self.shape("\($0.path)"))" })

        let yaml = try String(contentsOf: Self.document, encoding: .utf8)
        let root = try #require(try Yams.load(yaml: yaml) as? [String: Any])
        #expect(root["openapi"] as? String == "3.1.0")
        let paths = try #require(root["paths"] as? [String: Any])
        var documented: Set<String> = []
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where ["get", "put", "post", "delete", "patch"].contains(method) {
                documented.insert("\(method.uppercased()) \(Self.shape(path))")
            }
        }
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.count >= 8)
    }

    @Test("every operation documents its responses with schemas, and every $ref resolves")
    func schemasComplete() throws {
        let document = try OpenAPIDocument()
        var missing: [String] = []
        func refs(_ node: Any, at path: String) {
            if let object = node as? [String: Any] {
                if let ref = object["$ref"] as? String, document.resolve(ref) == nil { missing.append("\(path): \(ref) does not resolve") }
                for (key, value) in object { refs(value, at: "\(path)/\(key)") }
            } else if let array = node as? [Any] {
                for (index, value) in array.enumerated() { refs(value, at: "\(path)/\(index)") }
            }
        }
        refs(document.root, at: "#")
        for operation in document.operations {
            let statuses = document.statuses(of: operation)
            if !statuses.contains(where: { (200..<400).contains($0) }) { missing.append("\(operation): no success or redirect response") }
            if operation.path.hasPrefix("/v1") && !statuses.isSuperset(of: [401, 500, 503]) { missing.append("\(operation): 401, 500 or 503 undocumented") }
            for status in statuses where status != 204 && !(300..<400).contains(status) && !operation.path.hasPrefix("/console") {
                if case .some(.none) = document.responseSchema(
                    operation, status: status, contentType: status < 300 ? "application/json" : "application/problem+json")
                {
                    missing.append("\(operation) \(status): a JSON response without a schema")
                }
            }
        }
        #expect(missing.isEmpty, "\(missing.prefix(10))")
    }
}

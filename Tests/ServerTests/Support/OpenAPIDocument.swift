import Foundation
import VaultTestSupport
import Yams

/// `openapi.yaml`, loaded for tests: its operations, their documented statuses and the
/// schema of each response.
struct OpenAPIDocument {
    struct Operation: Hashable, CustomStringConvertible {
        let method: String
        let path: String
        var description: String { "\(method) \(path)" }
    }

    static let url = TemporaryVault.policies.deletingLastPathComponent().appendingPathComponent("openapi.yaml")
    let root: [String: Any]

    init() throws {
        root = try Yams.load(yaml: String(contentsOf: Self.url, encoding: .utf8)) as? [String: Any] ?? [:]
    }

    var paths: [String: Any] { root["paths"] as? [String: Any] ?? [:] }

    var operations: [Operation] {
        paths.flatMap { path, item in
            (item as? [String: Any] ?? [:]).keys.filter { ["get", "put", "post", "delete", "patch"].contains($0) }
                .map { Operation(method: $0.uppercased(), path: path) }
        }
    }

    /// The documented operation serving `uri`: literal segments beat `{parameters}`.
    func operation(method: String, uri: String) -> Operation? {
        let segments = uri.split(separator: "?", maxSplits: 1)[0].split(separator: "/", omittingEmptySubsequences: false)
        let candidates = operations.filter { operation in
            guard operation.method == method else { return false }
            let template = operation.path.split(separator: "/", omittingEmptySubsequences: false)
            return template.count == segments.count && zip(template, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }
        return candidates.max { a, b in a.path.filter { $0 == "{" }.count > b.path.filter { $0 == "{" }.count }
    }

    private func object(_ operation: Operation) -> [String: Any] {
        (paths[operation.path] as? [String: Any])?[operation.method.lowercased()] as? [String: Any] ?? [:]
    }

    func statuses(of operation: Operation) -> Set<Int> {
        Set((object(operation)["responses"] as? [String: Any] ?? [:]).keys.compactMap { Int($0) })
    }

    /// The response schema for `status` and `contentType`, following a `$ref` to components.
    /// nil when the status or media type is not documented.
    func responseSchema(_ operation: Operation, status: Int, contentType: String) -> Any?? {
        guard var response = (object(operation)["responses"] as? [String: Any])?[String(status)] as? [String: Any] else { return nil }
        if let ref = response["$ref"] as? String { response = resolve(ref) as? [String: Any] ?? [:] }
        guard let content = response["content"] as? [String: Any] else { return .some(nil) }  // documented without a body
        let media = contentType.split(separator: ";")[0].trimmingCharacters(in: .whitespaces)
        guard let entry = content[media] as? [String: Any] else { return nil }
        return .some(entry["schema"])
    }

    /// The stable problem slugs the document lists (`x-problem-types` of the Problem schema),
    /// and those of its `errors` items (`x-error-item-types`).
    var problemSlugs: Set<String> { slugs("x-problem-types") }
    var errorItemSlugs: Set<String> { slugs("x-error-item-types") }

    private func slugs(_ key: String) -> Set<String> {
        Set((resolve("#/components/schemas/Problem") as? [String: Any])?[key] as? [String] ?? [])
    }

    func resolve(_ ref: String) -> Any? {
        var node: Any? = root
        for key in ref.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(key)] }
        return node
    }
}

import Foundation
import VaultModel
import Yams

/// The roles of the policy bundle and the purposes each may read with.
///
/// A role holds a purpose when one of its declared purposes is that purpose or an ancestor
/// of it (`essential` covers `essential.legal_obligation`), on whole dotted segments.
public struct RoleCatalog: Sendable {
    public let purposes: [RoleName: [Purpose]]

    public init(purposes: [RoleName: [Purpose]]) { self.purposes = purposes }

    public func exists(_ role: RoleName) -> Bool { purposes[role] != nil }

    public func role(_ role: RoleName, holds purpose: Purpose) -> Bool {
        purposes[role]?.contains { $0.covers(purpose) } ?? false
    }

    struct File: Decodable {
        let roles: [String: Entry]
    }
    struct Entry: Decodable {
        let purposes: [String]
    }

    public static func parse(_ data: Data) throws -> RoleCatalog {
        let file: File = try CatalogLoader.decode(data, file: "roles.yaml")
        var purposes: [RoleName: [Purpose]] = [:]
        for (name, entry) in file.roles {
            purposes[RoleName(name)] = try entry.purposes.map { text in
                guard let purpose = Purpose(text) else {
                    throw CatalogError.invalid(file: "roles.yaml", detail: "role '\(name)': '\(text)' is not a purpose key")
                }
                return purpose
            }
        }
        return RoleCatalog(purposes: purposes)
    }
}

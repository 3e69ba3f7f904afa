import Foundation
import VaultCrypto
import VaultModel

/// The loaded policy bundle: catalog, sources, roles, and a version naming its content.
public struct PolicyBundle: Sendable {
    public let catalog: FieldCatalog
    public let roles: RoleCatalog
    public let purposes: PurposeCatalog
    /// `sha256:` and the first 12 hex digits of the hash of the bundle files, so a view
    /// names exactly which bundle decided it.
    public let version: String

    public static let files = ["fields.yaml", "sources.yaml", "roles.yaml", "purposes.yaml"]

    public static func load(directory: URL, phoneRegion: String = "US") throws -> PolicyBundle {
        let catalog = try CatalogLoader.load(directory: directory, phoneRegion: phoneRegion)
        let roles = try RoleCatalog.load(directory: directory)
        let purposes = try PurposeCatalog.load(directory: directory)
        for (role, held) in roles.purposes {
            for purpose in held where !purposes.contains(purpose) {
                throw CatalogError.invalid(file: "roles.yaml", detail: "role '\(role)': purpose '\(purpose)' is not in purposes.yaml")
            }
        }
        var material: [UInt8] = []
        for name in files {
            material += Array(name.utf8) + [0]
            material += Array(FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) ?? Data())
        }
        let digest = SHA256.hash(material).prefix(6).map { String(format: "%02x", $0) }.joined()
        return PolicyBundle(catalog: catalog, roles: roles, purposes: purposes, version: "sha256:" + digest)
    }
}

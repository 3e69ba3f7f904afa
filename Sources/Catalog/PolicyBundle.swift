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

    /// The files of a bundle (the one list: the loader, the compiler, `vaultctl policy` and the
    /// stored policy versions all use it), in the order the version hash covers them.
    public static let files = ["fields.yaml", "sources.yaml", "roles.yaml", "purposes.yaml", "categories.yaml", "retention.yaml"]

    /// Reads the bundle files of a policy directory; a missing one is `CatalogError.unreadable`.
    public static func readFiles(directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in Self.files { files[name] = try CatalogLoader.read(directory.appendingPathComponent(name)) }
        return files
    }

    public static func load(directory: URL, phoneRegion: String = "US") throws -> PolicyBundle {
        try load(files: readFiles(directory: directory), phoneRegion: phoneRegion)
    }

    /// Loads the catalog, roles and purposes from the bundle's file contents; the version
    /// is a hash of all of them, so any change to any file is a new version.
    public static func load(files: [String: Data], phoneRegion: String = "US") throws -> PolicyBundle {
        func file(_ name: String) throws -> Data {
            guard let data = files[name] else { throw CatalogError.unreadable(file: name) }
            return data
        }
        let catalog = try CatalogLoader.load(fields: file("fields.yaml"), sources: file("sources.yaml"), phoneRegion: phoneRegion)
        let roles = try RoleCatalog.parse(file("roles.yaml"))
        let purposes = try PurposeCatalog.parse(file("purposes.yaml"))
        var material: [UInt8] = []
        for name in Self.files {
            material += Array(name.utf8) + [0]
            material += Array(files[name] ?? Data()) + [0]
        }
        let digest = SHA256.hash(material).prefix(6).map { String(format: "%02x", $0) }.joined()
        return PolicyBundle(catalog: catalog, roles: roles, purposes: purposes, version: "sha256:" + digest)
    }
}

import Foundation
import VaultModel

/// The purposes (data uses) this deployment recognises, from `purposes.yaml`.
public struct PurposeCatalog: Sendable {
    public let purposes: Set<Purpose>

    public init(purposes: Set<Purpose>) { self.purposes = purposes }

    public func contains(_ purpose: Purpose) -> Bool { purposes.contains(purpose) }

    struct File: Decodable {
        let purposes: [String]
    }

    public static func parse(_ data: Data) throws -> PurposeCatalog {
        let file: File = try CatalogLoader.decode(data, file: "purposes.yaml")
        var purposes: Set<Purpose> = []
        for text in file.purposes {
            guard let purpose = Purpose(text) else {
                throw CatalogError.invalid(file: "purposes.yaml", detail: "'\(text)' is not a purpose key")
            }
            purposes.insert(purpose)
        }
        return PurposeCatalog(purposes: purposes)
    }
}

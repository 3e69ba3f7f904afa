import Foundation

/// One person in the vault: a random UUID minted by the vault, never derived from PII.
public struct SubjectID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let uuid: UUID

    public init(_ uuid: UUID) { self.uuid = uuid }
    public init?(_ text: String) {
        guard let uuid = UUID(uuidString: text) else { return nil }
        self.uuid = uuid
    }
    public static func mint() -> SubjectID { SubjectID(UUID()) }

    /// Lowercase canonical text: the form stored and served everywhere.
    public var description: String { uuid.uuidString.lowercased() }

    public static func < (lhs: SubjectID, rhs: SubjectID) -> Bool { lhs.description < rhs.description }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = SubjectID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a UUID"))
        }
        self = id
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

import Foundation

/// One person in the vault: a random UUID minted by the vault, never derived from PII.
public struct SubjectID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let uuid: UUID

    public init(_ uuid: UUID) { self.uuid = uuid }
    /// The 36-character form (hyphens after 8, 12, 16 and 20 hex digits, either case), as
    /// `UUID(uuidString:)` accepts it. Parsed by hand: every stored row names subjects by
    /// this text, and Foundation's parser goes through `sscanf`.
    public init?(_ text: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var high: UInt8?
        var position = 0
        for character in text.utf8 {
            defer { position += 1 }
            if position == 8 || position == 13 || position == 18 || position == 23 {
                guard character == UInt8(ascii: "-") else { return nil }
                continue
            }
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high {
                bytes.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        guard position == 36, bytes.count == 16 else { return nil }
        uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
    public static func mint() -> SubjectID { SubjectID(UUID()) }

    /// Lowercase canonical text: the form stored and served everywhere. Written by hand
    /// (Foundation formats through `snprintf`, then lowercasing copies the string again).
    public var description: String {
        withUnsafeBytes(of: uuid.uuid) { raw in
            String(unsafeUninitializedCapacity: 36) { out in
                var i = 0
                for (index, byte) in raw.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[i] = UInt8(ascii: "-")
                        i += 1
                    }
                    out[i] = HexDigit.lowercase(byte >> 4)
                    out[i + 1] = HexDigit.lowercase(byte)
                    i += 2
                }
                return i
            }
        }
    }

    /// The order of `description` (lowercase hex keeps byte order), without building it.
    public static func < (lhs: SubjectID, rhs: SubjectID) -> Bool {
        withUnsafeBytes(of: lhs.uuid.uuid) { l in withUnsafeBytes(of: rhs.uuid.uuid) { r in l.lexicographicallyPrecedes(r) } }
    }

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

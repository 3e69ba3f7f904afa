/// A dotted taxonomy key in the fideslang style (`user.contact.email`,
/// `marketing.communications.email`). Coverage is by whole segments: `user.contact`
/// covers `user.contact.email` but not `user.contactless`.
public protocol DottedKey: Hashable, Sendable, CustomStringConvertible {
    var rawValue: String { get }
}

extension DottedKey {
    public var segments: [Substring] { rawValue.split(separator: ".", omittingEmptySubsequences: false) }

    /// True when `self` is `other` or one of its ancestors.
    public func covers(_ other: Self) -> Bool {
        other.rawValue == rawValue || other.rawValue.hasPrefix(rawValue + ".")
    }

    public var description: String { rawValue }

    static func isWellFormed(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 128 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { segment in
            !segment.isEmpty && segment.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
        }
    }
}

/// A data category (`user.contact.email`).
public struct DataCategory: DottedKey, Codable, Comparable {
    public let rawValue: String
    public init?(_ rawValue: String) {
        guard Self.isWellFormed(rawValue) else { return nil }
        self.rawValue = rawValue
    }
    public static func < (l: Self, r: Self) -> Bool { l.rawValue < r.rawValue }
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let v = Self(text) else { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid data category")) }
        self = v
    }
    public func encode(to encoder: Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
}

/// A data use / purpose (`essential.service.operations.support`).
public struct Purpose: DottedKey, Codable, Comparable {
    public let rawValue: String
    public init?(_ rawValue: String) {
        guard Self.isWellFormed(rawValue) else { return nil }
        self.rawValue = rawValue
    }
    public static func < (l: Self, r: Self) -> Bool { l.rawValue < r.rawValue }
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let v = Self(text) else { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid purpose")) }
        self = v
    }
    public func encode(to encoder: Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
}

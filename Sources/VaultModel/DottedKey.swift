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

/// Construction, ordering and JSON shared by every dotted key: validated text in, the text out.
public protocol ValidatedDottedKey: DottedKey, Codable, Comparable {
    init(unchecked rawValue: String)
}

extension ValidatedDottedKey {
    public init?(_ rawValue: String) {
        guard Self.isWellFormed(rawValue) else { return nil }
        self.init(unchecked: rawValue)
    }
    public static func < (l: Self, r: Self) -> Bool { l.rawValue < r.rawValue }
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard Self.isWellFormed(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a dotted key"))
        }
        self.init(unchecked: text)
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// A data category (`user.contact.email`).
public struct DataCategory: ValidatedDottedKey {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// A data use / purpose (`essential.service.operations.support`).
public struct Purpose: ValidatedDottedKey {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Canonical forms of raw values. Each function returns the normalized text or throws a
/// `NormalizationFailure` whose reason is a fixed phrase (never the input).
public enum Normalizers {
    /// Longest accepted value, in Unicode scalars, for any text field.
    public static let maximumLength = 1024

    /// `raw` in its canonical form for `kind`; an identifier (a field matched and suppressed on
    /// its blind index) first goes through the identifier profile (`refuseInvisible`, NFKC).
    public static func normalize(
        _ raw: String, with kind: NormalizerKind, phoneRegion: String,
        identifier: Bool = false
    ) throws(NormalizationFailure) -> String {
        guard raw.unicodeScalars.count <= maximumLength else { throw .tooLong }
        guard !containsControlCharacter(raw) else { throw .invalid("contains control characters") }
        guard identifier, !raw.utf8.allSatisfy({ $0 < 0x80 }) else { return try normalizeKind(raw, kind, phoneRegion: phoneRegion) }
        try refuseInvisible(raw)
        // NFKC, then the kind's own rules, to a fixed point: each alone may undo the other
        // (a lowercased letter that NFKC maps on), and a normalized identifier must normalize
        // to itself or its stored blind index and a later lookup disagree.
        var current = raw
        for _ in 0..<4 {
            let next = try normalizeKind(current.precomposedStringWithCompatibilityMapping, kind, phoneRegion: phoneRegion)
            if Array(next.unicodeScalars) == Array(current.unicodeScalars) { break }
            current = next
        }
        return current
    }

    /// The identifier profile's refusals, in the spirit of PRECIS (RFC 8264): default-ignorable
    /// code points (zero-width space and joiners, soft hyphen, variation selectors…) and bidi
    /// controls (U+202A–U+202E, U+2066–U+2069, marks) are refused, not removed. Invisible,
    /// they made `ann@example.com` with a zero-width space a different blind index: a new
    /// person, and a way past an erasure's suppression. Width and compatibility forms
    /// (`ｅｘａｍｐｌｅ.com`) are mapped by NFKC instead.
    static func refuseInvisible(_ text: String) throws(NormalizationFailure) {
        if text.unicodeScalars.contains(where: { $0.properties.isDefaultIgnorableCodePoint || $0.properties.isBidiControl }) {
            throw .invalid("contains invisible or text-direction characters")
        }
    }

    static func normalizeKind(_ raw: String, _ kind: NormalizerKind, phoneRegion: String) throws(NormalizationFailure) -> String {
        switch kind {
        case .none: return raw
        // NFC everywhere: the same text typed on two systems (composed é or e + ◌́) is one value,
        // so it blind-indexes and matches as one. Compatibility forms (NFKC) are left distinct.
        case .trim: return try nonEmpty(composed(trimmed(raw)))
        case .lowercase: return try nonEmpty(folded(trimmed(raw)))
        case .email: return try email(raw)
        case .phone: return try PhoneNormalizer.e164(raw, defaultRegion: phoneRegion)
        case .date: return try isoDate(raw)
        case .last4: return try last4(raw)
        case .iban: return try iban(raw)
        case .ipAddress: return try ipAddress(raw)
        case .currency: return try currency(raw)
        }
    }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`. ASCII text (nearly every value) is
    /// trimmed here: Foundation's version goes through NSString on Linux, and with NFC it was
    /// most of ingest's validation time. Its ASCII members are tab, LF, VT, FF, CR and space.
    public static func trimmed(_ text: String) -> String {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return text.trimmingCharacters(in: .whitespacesAndNewlines) }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        let bytes = text.utf8
        guard let first = bytes.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = bytes.lastIndex(where: { !isSpace($0) })!
        if first == bytes.startIndex && bytes.index(after: last) == bytes.endIndex { return text }
        return String(text[first...last])
    }

    /// A control character (general category Cc) other than tab. ASCII text is checked by byte
    /// (its Cc members are 0x00–0x1F and 0x7F): the Unicode property lookup per scalar was a
    /// visible part of ingest's validation.
    static func containsControlCharacter(_ text: String) -> Bool {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.utf8.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F } }
        return text.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\t" }
    }

    /// NFC; ASCII text is already in NFC.
    static func composed(_ text: String) -> String {
        text.utf8.allSatisfy({ $0 < 0x80 }) ? text : text.precomposedStringWithCanonicalMapping
    }

    /// Lowercase and NFC, repeated until neither changes the text: either order alone is not
    /// idempotent (W + ◌̊ lowercases to w + ◌̊, which NFC composes to ẘ; some compositions
    /// produce letters that lowercase again), and a normalized value must normalize to itself
    /// or a stored blind index and a later lookup disagree (both found by the property test).
    /// ASCII text reaches the fixed point in one lowercasing.
    static func folded(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
        var current = text
        for _ in 0..<4 {
            let next = current.lowercased().precomposedStringWithCanonicalMapping
            if Array(next.unicodeScalars) == Array(current.unicodeScalars) { break }
            current = next
        }
        return current
    }

    static func nonEmpty(_ text: String) throws(NormalizationFailure) -> String {
        guard !text.isEmpty else { throw .empty }
        return text
    }

    /// trim, lowercase + Unicode NFC to a fixed point (`folded`); then a structural check (one `@`, a dotted domain).
    public static func email(_ raw: String) throws(NormalizationFailure) -> String {
        let text = folded(trimmed(raw))
        guard !text.isEmpty else { throw .empty }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .invalid("not an email address") }
        let local = parts[0]
        let domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64, !domain.isEmpty, domain.utf8.count <= 253,
            !text.unicodeScalars.contains(where: { $0.properties.isWhitespace }),
            !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else { throw .invalid("not an email address") }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 && !$0.hasPrefix("-") && !$0.hasSuffix("-") }),
            domain.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "-" || $0 == "." })
        else { throw .invalid("not an email address") }
        return text
    }

    /// ISO 8601 calendar date `YYYY-MM-DD`, checked against the calendar (no 2023-02-29).
    public static func isoDate(_ raw: String) throws(NormalizationFailure) -> String {
        let text = trimmed(raw)
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == 45, bytes[7] == 45 else { throw .invalid("not an ISO 8601 date (YYYY-MM-DD)") }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for b in bytes[range] {
                guard b >= 48, b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            year >= 1800, (1...12).contains(month), day >= 1
        else { throw .invalid("not an ISO 8601 date (YYYY-MM-DD)") }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard day <= days else { throw .invalid("not a calendar date") }
        return text
    }

    /// Exactly four digits (the visible tail of a card number).
    public static func last4(_ raw: String) throws(NormalizationFailure) -> String {
        let text = trimmed(raw)
        guard text.utf8.count == 4, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { throw .invalid("not four digits") }
        return text
    }

    /// Uppercase without spaces, with a valid ISO 13616 mod-97 check.
    public static func iban(_ raw: String) throws(NormalizationFailure) -> String {
        let text = raw.uppercased().filter { $0 != " " }
        let bytes = Array(text.utf8)
        guard (15...34).contains(bytes.count),
            bytes.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) }),
            bytes[0] >= 65, bytes[1] >= 65, bytes[2] <= 57, bytes[3] <= 57
        else { throw .invalid("not an IBAN") }
        var remainder = 0
        for b in bytes[4...] + bytes[..<4] {
            if b <= 57 { remainder = (remainder * 10 + Int(b - 48)) % 97 } else { remainder = (remainder * 100 + Int(b - 55)) % 97 }
        }
        guard remainder == 1 else { throw .invalid("IBAN check digits do not match") }
        return text
    }

    /// The canonical text form of an IPv4 or IPv6 address (RFC 5952 for IPv6).
    public static func ipAddress(_ raw: String) throws(NormalizationFailure) -> String {
        let text = trimmed(raw)
        guard text.utf8.count < 64 else { throw .invalid("not an IP address") }
        var buffer = [UInt8](repeating: 0, count: 16)
        var output = [CChar](repeating: 0, count: 64)
        for family in [AF_INET, AF_INET6] where inet_pton(family, text, &buffer) == 1 {
            guard inet_ntop(family, buffer, &output, socklen_t(output.count)) != nil else { break }
            return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        throw .invalid("not an IP address")
    }

    /// ISO 4217 code: three letters, uppercased.
    public static func currency(_ raw: String) throws(NormalizationFailure) -> String {
        let text = trimmed(raw).uppercased()
        guard text.utf8.count == 3, text.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else { throw .invalid("not an ISO 4217 currency code") }
        return text
    }
}

/// Why a value could not be normalized; `reason` is fixed text, never the value.
public enum NormalizationFailure: Error, Sendable, Equatable {
    case empty
    case tooLong
    case invalid(String)
}

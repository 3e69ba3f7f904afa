/// A strict RFC 8259 parser into `JSONValue`, for the bodies the vault sealed itself (event
/// and consent bodies, opened on every view). Foundation's `JSONDecoder` took 8% of the
/// server's CPU under views there, going through `Decodable` for every attribute. Requests
/// from outside keep `JSONDecoder`, whose errors name the coding path, after this parser has
/// checked them for repeated member names. Stricter than `JSONDecoder` in two ways: trailing
/// commas are refused, as RFC 8259 says, and so is an object that repeats a member name
/// (`JSONDecoder` keeps one of the values and drops the other without a word: a record with
/// two `email` members would have been stored with one).
public enum JSONParser {
    public enum Failure: Error, Sendable, Equatable {
        case invalid(offset: Int)
        case tooDeep
        case repeatedMember(offset: Int)
    }

    /// How deep arrays and objects may nest.
    public static let maximumDepth = 64

    public static func parse(_ bytes: [UInt8], maximumDepth: Int = JSONParser.maximumDepth) throws(Failure) -> JSONValue {
        var cursor = Cursor(bytes: bytes, maximumDepth: maximumDepth)
        cursor.skipWhitespace()
        let value = try cursor.value(depth: 0)
        cursor.skipWhitespace()
        guard cursor.index == bytes.count else { throw .invalid(offset: cursor.index) }
        return value
    }

    struct Cursor {
        let bytes: [UInt8]
        let maximumDepth: Int
        var index = 0

        init(bytes: [UInt8], maximumDepth: Int) {
            self.bytes = bytes
            self.maximumDepth = maximumDepth
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(Failure) {
            guard current == byte else { throw .invalid(offset: index) }
            index += 1
        }

        mutating func literal(_ text: StaticString, _ value: JSONValue) throws(Failure) -> JSONValue {
            let expected = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
            guard index + expected.count <= bytes.count, bytes[index..<(index + expected.count)].elementsEqual(expected) else {
                throw .invalid(offset: index)
            }
            index += expected.count
            return value
        }

        mutating func value(depth: Int) throws(Failure) -> JSONValue {
            guard let byte = current else { throw .invalid(offset: index) }
            switch byte {
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw .invalid(offset: index)
            }
        }

        mutating func object(depth: Int) throws(Failure) -> JSONValue {
            guard depth <= maximumDepth else { throw .tooDeep }
            index += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw .invalid(offset: index) }
                let keyOffset = index
                let key = try string()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                let member = try value(depth: depth)
                guard members.updateValue(member, forKey: key) == nil else { throw .repeatedMember(offset: keyOffset) }
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"))
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(Failure) -> JSONValue {
            guard depth <= maximumDepth else { throw .tooDeep }
            index += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth))
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "]"))
                return .array(items)
            }
        }

        /// A string: escapes decoded, control characters refused, UTF-8 validated.
        mutating func string() throws(Failure) -> String {
            let start = index
            index += 1
            var out: [UInt8] = []
            while true {
                guard let byte = current else { throw .invalid(offset: start) }
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    guard let text = String(validating: out, as: UTF8.self) else { throw .invalid(offset: start) }
                    return text
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let escaped = current else { throw .invalid(offset: index) }
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"): out += try unicodeEscape()
                    default: throw .invalid(offset: index - 1)
                    }
                case 0..<0x20:
                    throw .invalid(offset: index)
                default:
                    out.append(byte)
                    index += 1
                }
            }
        }

        /// After `\u`: four hex digits, a surrogate pair as two escapes; lone surrogates are refused.
        mutating func unicodeEscape() throws(Failure) -> [UInt8] {
            let first = try hex4()
            var scalarValue = first
            if (0xD800...0xDBFF).contains(first) {
                guard current == UInt8(ascii: "\\") else { throw .invalid(offset: index) }
                index += 1
                try expect(UInt8(ascii: "u"))
                let second = try hex4()
                guard (0xDC00...0xDFFF).contains(second) else { throw .invalid(offset: index) }
                scalarValue = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(first) {
                throw .invalid(offset: index)
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { throw .invalid(offset: index) }
            return Array(String(Character(scalar)).utf8)
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard index + 4 <= bytes.count else { throw .invalid(offset: index) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let nibble: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
                default: throw .invalid(offset: index)
                }
                value = value << 4 | UInt32(nibble)
                index += 1
            }
            return value
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, then read as a Double.
        mutating func number() throws(Failure) -> Double {
            let start = index
            func digits(_ cursor: inout Cursor) -> Int {
                let from = cursor.index
                while let byte = cursor.current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { cursor.index += 1 }
                return cursor.index - from
            }
            if current == UInt8(ascii: "-") { index += 1 }
            if current == UInt8(ascii: "0") {
                index += 1
            } else {
                guard digits(&self) > 0 else { throw .invalid(offset: start) }
            }
            if current == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw .invalid(offset: start) }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard digits(&self) > 0 else { throw .invalid(offset: start) }
            }
            guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)), value.isFinite else {
                throw .invalid(offset: start)
            }
            return value
        }
    }
}

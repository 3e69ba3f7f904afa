/// A minimal JSON writer for hot paths (a view's body, stored lists): objects whose keys the
/// caller gives in order, strings, numbers. Foundation's `JSONEncoder` boxes every value
/// through `Encodable` and cost several percent of the server's CPU on those paths.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Per open object: whether a member was written (the next needs a comma).
    private var hasMembers: [Bool] = []

    public init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    public mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        hasMembers.append(false)
    }

    public mutating func key(_ name: String) {
        if hasMembers[hasMembers.count - 1] { bytes.append(UInt8(ascii: ",")) }
        hasMembers[hasMembers.count - 1] = true
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        hasMembers.removeLast()
    }

    public mutating func raw(_ text: String) { bytes += text.utf8 }

    public mutating func strings(_ items: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(item)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Quote, backslash and control characters escaped; everything else, non-ASCII
    /// included, as UTF-8.
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), HexDigit.lowercase(byte >> 4), HexDigit.lowercase(byte)]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Integral values without a fraction (as `JSONEncoder` writes them), others in Swift's
    /// shortest round-tripping form; JSON has no infinities or NaN.
    public mutating func number(_ value: Double) {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            raw(String(Int64(value)))
        } else if value.isFinite {
            raw(String(value))
        } else {
            raw("null")
        }
    }
}

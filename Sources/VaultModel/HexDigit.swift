/// Lowercase hexadecimal digits as UTF-8 bytes, for text written byte by byte (subject ids,
/// JSON escapes, request ids) without an array of digits allocated per call.
public enum HexDigit {
    /// The digit of the low four bits of `value`: `0`–`9`, then `a`–`f`.
    @inlinable
    public static func lowercase(_ value: some BinaryInteger) -> UInt8 {
        let nibble = UInt8(truncatingIfNeeded: value) & 0x0F
        return nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

import Foundation

/// Random damage to a valid request body, reproducible from a seed: bits flipped, bytes cut
/// or repeated, invalid UTF-8, look-alike and combining characters, deep nesting and odd
/// JSON literals spliced in. The fuzz tests send what it makes.
public enum BodyMutator {
    public static func mutate(_ body: String, seed: UInt64) -> Data {
        var rng = SplitMix(state: seed)
        var bytes = Array(body.utf8)
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            let at = Int(rng.next() % UInt64(max(bytes.count, 1)))
            switch rng.next() % 7 {
            case 0: if !bytes.isEmpty { bytes[at] ^= UInt8(1 << (rng.next() % 8)) }
            case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int(rng.next() % 12)))
            case 2: bytes.insert(contentsOf: [0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80][Int(rng.next() % 3)...], at: at)
            case 3:
                bytes.insert(
                    contentsOf: Array(["\u{0301}", "\u{0430}", "\u{FF21}", "\u{0}", "\\u0000", "\"", "\\", "🧪", "\u{202E}"][Int(rng.next() % 9)].utf8), at: at)
            case 4: bytes.insert(contentsOf: Array((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8), at: at)
            case 5:
                let end = min(bytes.count, at + 30)
                bytes.insert(contentsOf: Array(bytes[at..<end]), at: end)
            default:
                bytes.insert(contentsOf: Array(["null", "1e999", "-0", "true", "{}", "[]", "\"\"", "12345678901234567890"][Int(rng.next() % 8)].utf8), at: at)
            }
        }
        return Data(bytes)
    }
}

/// A small deterministic generator, so one seed is one reproducible mutation.
public struct SplitMix: Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

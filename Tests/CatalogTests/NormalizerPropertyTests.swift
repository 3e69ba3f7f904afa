import Catalog
import PropertyBased
import Testing

/// Random Unicode through every normalizer: no crash, a normalized value normalizes to
/// itself (so a stored blind index and a later lookup agree), and a refusal never quotes
/// the input.
@Suite("Normalizers: property-based")
struct NormalizerPropertyTests {
    /// Scalars from the ranges where trouble lives: ASCII, Latin-1, combining marks,
    /// Cyrillic look-alikes, fullwidth forms, emoji, controls, and anywhere at all.
    static let scalar = Gen.oneOf(
        Gen<UInt32>.value(in: 0x20...0x7e), Gen<UInt32>.value(in: 0x00...0x1f), Gen<UInt32>.value(in: 0xa0...0xff),
        Gen<UInt32>.value(in: 0x300...0x36f), Gen<UInt32>.value(in: 0x400...0x4ff), Gen<UInt32>.value(in: 0xff00...0xffef),
        Gen<UInt32>.value(in: 0x1f300...0x1faff), Gen<UInt32>.value(in: 0...0x10ffff)
    ).compactMap { Unicode.Scalar($0) }

    /// Strings of up to 40 scalars, sometimes shaped like the values (an `@`, digits, a `+`).
    static let text = scalar.array(of: 0...40).map { scalars in
        var text = String(String.UnicodeScalarView(scalars))
        if scalars.count % 3 == 0 { text.insert("@", at: text.index(text.startIndex, offsetBy: text.count / 2)) }
        if scalars.count % 5 == 0 { text = "+1 415 " + text }
        return text
    }

    @Test("every normalizer: no crash, idempotent, refusals without the input", arguments: NormalizerKind.allCases)
    func normalizer(_ kind: NormalizerKind) async {
        await propertyCheck(count: 2_500, input: Self.text) { raw in
            do {
                let once = try Normalizers.normalize(raw, with: kind, phoneRegion: "US")
                let twice = try? Normalizers.normalize(once, with: kind, phoneRegion: "US")
                #expect(twice.map { Array($0.unicodeScalars) } == Array(once.unicodeScalars), "\(kind) is not idempotent")
            } catch {
                if raw.count >= 4, case .invalid(let reason)? = error as? NormalizationFailure { #expect(!reason.contains(raw)) }
            }
        }
    }
}

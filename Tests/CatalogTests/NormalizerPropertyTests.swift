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

/// The identifier profile (email, phone, device id, customer id): invisible and direction
/// characters refused, width forms mapped, and still idempotent.
@Suite("Normalizers: the identifier profile")
struct IdentifierProfileTests {
    @Test("identifier normalizers: no crash, idempotent, nothing invisible survives", arguments: NormalizerKind.allCases)
    func profile(_ kind: NormalizerKind) async {
        await propertyCheck(count: 2_500, input: NormalizerPropertyTests.text) { raw in
            guard let once = try? Normalizers.normalize(raw, with: kind, phoneRegion: "US", identifier: true) else { return }
            let twice = try? Normalizers.normalize(once, with: kind, phoneRegion: "US", identifier: true)
            #expect(twice.map { Array($0.unicodeScalars) } == Array(once.unicodeScalars), "\(kind) is not idempotent as an identifier")
            #expect(!once.unicodeScalars.contains { $0.properties.isDefaultIgnorableCodePoint || $0.properties.isBidiControl })
        }
    }

    @Test(
        "an invisible or direction character anywhere in an identifier is refused",
        arguments: [
            "\u{200B}", "\u{200C}", "\u{200D}", "\u{2060}", "\u{FEFF}", "\u{00AD}", "\u{034F}", "\u{FE0F}", "\u{202A}", "\u{202E}", "\u{2066}", "\u{2069}",
            "\u{200E}", "\u{061C}",
        ])
    func invisibleRefused(_ invisible: String) {
        #expect(throws: NormalizationFailure.self) {
            try Normalizers.normalize("ann\(invisible)@example.com", with: .email, phoneRegion: "US", identifier: true)
        }
        #expect(throws: NormalizationFailure.self) { try Normalizers.normalize("C-\(invisible)77", with: .trim, phoneRegion: "US", identifier: true) }
        // A name (not an identifier) keeps its own rules.
        #expect(throws: Never.self) { try Normalizers.normalize("Ann\(invisible)", with: .trim, phoneRegion: "US") }
    }

    @Test(
        "width and compatibility forms map to one identifier",
        arguments: [
            ("ＡＮＮ@ｅｘａｍｐｌｅ.ｃｏｍ", NormalizerKind.email, "ann@example.com"),
            ("＋１ ４１５ ５５５ ０１００", .phone, "+14155550100"),
            ("ＤＥＶ-１", .lowercase, "dev-1"),
            ("Ｃ-７７", .trim, "C-77"),
        ])
    func widthMapped(_ raw: String, _ kind: NormalizerKind, _ expected: String) throws {
        #expect(try Normalizers.normalize(raw, with: kind, phoneRegion: "US", identifier: true) == expected)
    }
}

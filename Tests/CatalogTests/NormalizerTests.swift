import Foundation
import Testing

@testable import Catalog

@Suite("Normalizers")
struct NormalizerTests {
    @Test(
        "emails: trimmed, NFC, lowercased",
        arguments: [
            (" Ann.Lee@Example.com", "ann.lee@example.com"),
            ("ANN@EXAMPLE.ORG\n", "ann@example.org"),
            ("zoe\u{0308}@example.com", "zoë@example.com"),  // decomposed ë becomes the precomposed form
            ("o'brien+tag@mail.example.net", "o'brien+tag@mail.example.net"),
        ])
    func emails(input: String, expected: String) throws {
        #expect(try Normalizers.email(input) == expected)
    }

    @Test(
        "malformed emails are refused",
        arguments: [
            "", "   ", "ann", "ann@", "@example.com", "ann@example", "a b@example.com",
            "ann@@example.com", "ann@exa mple.com", ".ann@example.com", "ann@-example.com",
        ])
    func badEmails(input: String) {
        #expect(throws: NormalizationFailure.self) { try Normalizers.email(input) }
    }

    @Test(
        "phones to E.164 in region US",
        arguments: [
            ("(415) 555-0100", "+14155550100"), ("415.555.0100", "+14155550100"), ("1 415 555 0100", "+14155550100"),
            ("+1 415 555 0100", "+14155550100"), ("0044 20 7946 0958", "+442079460958"), ("+49 30 123456", "+4930123456"),
        ])
    func phones(input: String, expected: String) throws {
        #expect(try PhoneNormalizer.e164(input, defaultRegion: "US") == expected)
    }

    @Test("national numbers use the default region")
    func regions() throws {
        #expect(try PhoneNormalizer.e164("020 7946 0958", defaultRegion: "GB") == "+442079460958")
        #expect(try PhoneNormalizer.e164("030 123456", defaultRegion: "DE") == "+4930123456")
    }

    @Test(
        "one number written internationally with its trunk prefix in brackets, without it, or nationally, is one E.164 number",
        arguments: [
            "+44 (0)20 7946 0958", "+44(0)2079460958", "0044 (0)20 7946 0958", "+44 20 7946 0958", "020 7946 0958",
        ])
    func bracketedTrunkPrefix(input: String) throws {
        #expect(try PhoneNormalizer.e164(input, defaultRegion: "GB") == "+442079460958")
    }

    @Test(
        "malformed phones are refused",
        arguments: ["", "555-0100", "call me", "+0 123 456 789", "(115) 555-0100", "415 555 0100 ext 2", "+1 415 555 01000000000"])
    func badPhones(input: String) {
        #expect(throws: NormalizationFailure.self) { try PhoneNormalizer.e164(input, defaultRegion: "US") }
    }

    @Test("dates are calendar dates")
    func dates() throws {
        #expect(try Normalizers.isoDate("1990-02-28") == "1990-02-28")
        #expect(try Normalizers.isoDate("2000-02-29") == "2000-02-29")
        for bad in ["1900-02-29", "2023-02-29", "1990-13-01", "1990-1-1", "01/02/1990", "1990-04-31", ""] {
            #expect(throws: NormalizationFailure.self) { try Normalizers.isoDate(bad) }
        }
    }

    @Test("IBANs: uppercase, no spaces, mod-97 checked")
    func ibans() throws {
        #expect(try Normalizers.iban("de89 3704 0044 0532 0130 00") == "DE89370400440532013000")
        #expect(try Normalizers.iban("GB82 WEST 1234 5698 7654 32") == "GB82WEST12345698765432")
        #expect(throws: NormalizationFailure.self) { try Normalizers.iban("DE88 3704 0044 0532 0130 00") }
        #expect(throws: NormalizationFailure.self) { try Normalizers.iban("not an iban") }
    }

    @Test("IP addresses in canonical form")
    func ipAddresses() throws {
        #expect(try Normalizers.ipAddress(" 192.168.001.10 ".replacingOccurrences(of: "001", with: "1")) == "192.168.1.10")
        #expect(try Normalizers.ipAddress("2001:0DB8:0000:0000:0000:0000:0000:0001") == "2001:db8::1")
        #expect(throws: NormalizationFailure.self) { try Normalizers.ipAddress("300.1.1.1") }
        #expect(throws: NormalizationFailure.self) { try Normalizers.ipAddress("localhost") }
    }

    @Test("card tails are four digits")
    func last4() throws {
        #expect(try Normalizers.last4(" 4242 ") == "4242")
        #expect(throws: NormalizationFailure.self) { try Normalizers.last4("424") }
        #expect(throws: NormalizationFailure.self) { try Normalizers.last4("4242424242424242") }
    }

    @Test("overlong and control-character values are refused")
    func limits() {
        #expect(throws: NormalizationFailure.tooLong) {
            try Normalizers.normalize(String(repeating: "a", count: 2000), with: .trim, phoneRegion: "US")
        }
        #expect(throws: NormalizationFailure.self) { try Normalizers.normalize("ann\u{0000}", with: .trim, phoneRegion: "US") }
    }

    @Test("lowercase then NFC: W + combining ring becomes ẘ, and normalizing again changes nothing (found by the property test)")
    func lowercaseThenCompose() throws {
        for kind in [NormalizerKind.lowercase] {
            let once = try Normalizers.normalize("W\u{030A}", with: kind, phoneRegion: "US")
            #expect(Array(once.unicodeScalars) == ["\u{1E98}"])
            #expect(Array(try Normalizers.normalize(once, with: kind, phoneRegion: "US").unicodeScalars) == Array(once.unicodeScalars))
        }
        let email = try Normalizers.email("W\u{030A}@example.com")
        #expect(Array(try Normalizers.email(email).unicodeScalars) == Array(email.unicodeScalars))
    }
}

/// The ASCII fast paths must give exactly what Foundation gives.
@Suite("Normalizer fast paths")
struct NormalizerFastPathTests {
    @Test("trimming agrees with Foundation for every ASCII character at either end, and for non-ASCII text")
    func trimmingAgrees() {
        var samples = [
            "", " ", "a", " a ", "\t\n a b \r\n", "a  b", "  ", "\u{0B}\u{0C}x\u{0B}", "é ", " \u{00A0}x\u{00A0} ", "\u{2003}y\u{2028}",
            "\u{85}z\u{85}", "日本 ", " x\u{3000}",
        ]
        for byte in 0..<128 {
            let c = String(UnicodeScalar(UInt8(byte)))
            samples += [c + "v" + c, c, "v" + c + c, c + c + "v"]
        }
        for text in samples {
            #expect(Normalizers.trimmed(text) == text.trimmingCharacters(in: .whitespacesAndNewlines), "sample \(Array(text.unicodeScalars.map(\.value)))")
        }
    }

    @Test("control characters: the ASCII byte check agrees with the Unicode category for every ASCII character")
    func controlCharactersAgree() {
        for byte in 0..<128 {
            let scalar = UnicodeScalar(UInt8(byte))
            let expected = scalar.properties.generalCategory == .control && scalar != "\t"
            #expect(Normalizers.containsControlCharacter("a" + String(scalar) + "b") == expected, "byte \(byte)")
        }
        #expect(Normalizers.containsControlCharacter("é\u{85}"), "C1 controls in non-ASCII text")
        #expect(!Normalizers.containsControlCharacter("é\tx"))
    }

    @Test("email and lowercase normalization of ASCII text equal the full Unicode path")
    func foldingAgrees() throws {
        for text in ["Ann.Lee@Example.COM", "  MIXED case  ", "already lower", "UPPER", "x@y.z", "Ü@example.de"] {
            var current = text.trimmingCharacters(in: .whitespacesAndNewlines)
            for _ in 0..<4 { current = current.lowercased().precomposedStringWithCanonicalMapping }
            #expect(try Normalizers.normalize(text, with: .lowercase, phoneRegion: "US") == current)
        }
    }
}

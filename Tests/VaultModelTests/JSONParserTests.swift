import Foundation
import Testing
import VaultModel

/// `JSONParser` must read exactly what `JSONDecoder` reads, and refuse what it refuses; it also
/// refuses trailing commas and repeated member names, which `JSONDecoder` lets through.
@Suite("JSON parser")
struct JSONParserTests {
    static func decoded(_ text: String) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

    @Test(
        "documents written by hand agree with JSONDecoder",
        arguments: [
            #"{}"#, #"[]"#, #"  {"a" : [1, 2.5, -3, 0, -0.0, 1e3, 2E-2, 12.5e+1], "b": {"c": null}, "d": true, "e": false}  "#,
            #""plain""#, #"0"#, #"-12"#, #"[[[[[]]]]]"#, #"{"esc": "\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u6771 \ud83d\ude42"}"#,
            "{\"raw\": \"Müller 東京 🙂\"}", #"{"id":"ord-1","attributes":{"amount":123.45,"currency":"USD"}}"#,
            "\t\r\n[1]\n",
        ])
    func agrees(_ text: String) throws {
        let reference = try #require(Self.decoded(text))
        #expect(try JSONParser.parse(Array(text.utf8)) == reference)
    }

    @Test(
        "what JSONDecoder refuses is refused",
        arguments: [
            "", " ", "{", "}", "01", "1.", ".5", "+1", "1e", "--1", "-", #""\x""#, "\"a\u{01}b\"", #"{"a" 1}"#,
            #"{a: 1}"#, "[1 2]", "tru", "nulls", "[1]]", #""unterminated"#, #""\u12""#, #""\ud800""#, #""\udc00x""#, "1e400", "NaN",
        ])
    func refused(_ text: String) {
        #expect(Self.decoded(text) == nil, "JSONDecoder refuses it too")
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test("trailing commas are refused (JSONDecoder accepts them; RFC 8259 does not)", arguments: ["[1,]", #"{"a":1,}"#])
    func trailingCommas(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test(
        "an object repeating a member name is refused (JSONDecoder keeps one value and drops the other)",
        arguments: [
            #"{"email": "a@example.com", "email": "b@example.com"}"#, #"{"fields": {"x": 1, "y": 2, "x": 3}}"#, #"[{"k": 1}, {"k": 1, "k": 1}]"#,
        ])
    func repeatedMember(json: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(json.utf8)) }
    }

    @Test("nesting deeper than the limit is refused, not a stack overflow")
    func depth() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.Failure.tooDeep) { try JSONParser.parse(Array(deep.utf8)) }
        let allowed = try JSONParser.parse(Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8))
        #expect(allowed != .null)
    }

    @Test("500 random values written by JSONEncoder read back equal")
    func roundTrip() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("aZ09 \"\\/\n\t\u{01}éü東🙂-_.".unicodeScalars)
        func text() -> String { String(String.UnicodeScalarView((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })) }
        func value(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &rng) {
            case 0: return .string(text())
            case 1:
                return .number([0, -1, 3.25, 1e-7, 123456789.5, Double(Int.random(in: -1_000_000...1_000_000, using: &rng)) / 100].randomElement(using: &rng)!)
            case 2: return .bool(Bool.random(using: &rng))
            case 3: return .null
            case 4: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in value(depth + 1) })
            default:
                return .object(Dictionary((0..<Int.random(in: 0...4, using: &rng)).map { _ in (text(), value(depth + 1)) }, uniquingKeysWith: { a, _ in a }))
            }
        }
        for _ in 0..<500 {
            let original = value(0)
            let bytes = try JSONEncoder().encode(original)
            #expect(try JSONParser.parse(Array(bytes)) == original)
        }
    }
}

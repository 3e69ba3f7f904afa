import Foundation
import Testing
import VaultModel

@Suite("JSON values")
struct JSONValueTests {
    @Test("every JSON type decodes to its case, nested, and encodes back to the same value")
    func everyType() throws {
        let text = #"{"s":"x","e":"","n":1.5,"i":3,"neg":-0.25,"t":true,"f":false,"z":null,"a":[1,"two",false,null,{"k":"v"},[]],"o":{"nested":[[]]},"numeric-string":"12","bool-string":"true"}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        let expected = JSONValue.object([
            "s": .string("x"), "e": .string(""), "n": .number(1.5), "i": .number(3), "neg": .number(-0.25), "t": .bool(true), "f": .bool(false),
            "z": .null, "a": .array([.number(1), .string("two"), .bool(false), .null, .object(["k": .string("v")]), .array([])]),
            "o": .object(["nested": .array([.array([])])]), "numeric-string": .string("12"), "bool-string": .string("true"),
        ])
        #expect(value == expected)
        #expect(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value)) == expected)
    }
}

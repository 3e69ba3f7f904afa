import Foundation
import Storage
import Testing
import VaultModel

@Suite("JSON values")
struct JSONValueTests {
    @Test("every JSON type decodes to its case, nested, and encodes back to the same value")
    func everyType() throws {
        let text =
            #"{"s":"x","e":"","n":1.5,"i":3,"neg":-0.25,"t":true,"f":false,"z":null,"a":[1,"two",false,null,{"k":"v"},[]],"o":{"nested":[[]]},"numeric-string":"12","bool-string":"true"}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        let expected = JSONValue.object([
            "s": .string("x"), "e": .string(""), "n": .number(1.5), "i": .number(3), "neg": .number(-0.25), "t": .bool(true), "f": .bool(false),
            "z": .null, "a": .array([.number(1), .string("two"), .bool(false), .null, .object(["k": .string("v")]), .array([])]),
            "o": .object(["nested": .array([.array([])])]), "numeric-string": .string("12"), "bool-string": .string("true"),
        ])
        #expect(value == expected)
        #expect(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value)) == expected)
    }

    @Test("stored lists: written by JSONWriter, read back by JSONDecoder, awkward strings included")
    func storedLists() {
        let lists: [[String]] = [
            [], [""], ["a"], ["subject/with/slashes", "quote \" backslash \\", "line\nbreak", "\u{01}\u{1f}", "Müller 東京 🙂"],
            (0..<200).map { "field_\($0)" },
        ]
        for list in lists {
            let text = StoredList.encode(list)
            #expect(StoredList.decode(text) == list)
            #expect((try? JSONDecoder().decode([String].self, from: Data(text.utf8))) == list)
        }
    }
}

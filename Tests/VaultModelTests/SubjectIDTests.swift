import Foundation
import Testing
import VaultModel

/// SubjectID's hand-written text form must agree with Foundation's UUID exactly.
@Suite("Subject ids")
struct SubjectIDTests {
    @Test("text, parsing and order agree with Foundation for 2,000 random ids")
    func agreesWithFoundation() {
        let ids = (0..<2_000).map { _ in SubjectID.mint() }
        for id in ids {
            #expect(id.description == id.uuid.uuidString.lowercased())
            #expect(SubjectID(id.description) == id)
            #expect(SubjectID(id.uuid.uuidString) == id, "upper case parses too")
        }
        #expect(ids.sorted().map(\.description) == ids.map(\.description).sorted())
    }

    @Test(
        "what Foundation refuses is refused",
        arguments: [
            "", "not-a-uuid", "00000000-0000-0000-0000-00000000000", "00000000-0000-0000-0000-0000000000000",
            "000000000000-0000-0000-000000000000-", "00000000-0000-0000-0000-00000000000g", "00000000_0000_0000_0000_000000000000",
            "{00000000-0000-0000-0000-000000000000}", " 00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-00000000000é",
            "0000000０-0000-0000-0000-000000000000", "00000000-0000-0000-0000-0000000000\u{0}0",
        ])
    func refused(_ text: String) {
        #expect(SubjectID(text) == nil)
        #expect(UUID(uuidString: text) == nil, "the case is one Foundation refuses as well")
    }

    @Test("mixed case parses to the same id")
    func mixedCase() {
        #expect(SubjectID("AbCdEf01-2345-6789-aBcD-eF0123456789")?.description == "abcdef01-2345-6789-abcd-ef0123456789")
    }
}

@Suite("Hex digits")
struct HexDigitTests {
    @Test("each low nibble gives its lowercase digit; higher bits are ignored")
    func digits() {
        #expect((0..<16).map { HexDigit.lowercase($0) } == Array("0123456789abcdef".utf8))
        #expect(HexDigit.lowercase(UInt8(0xAB)) == UInt8(ascii: "b"))
        #expect(HexDigit.lowercase(UInt64(0x1234_5670)) == UInt8(ascii: "0"))
    }
}

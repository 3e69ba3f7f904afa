import Foundation
import Testing
import VaultModel

@testable import Vault

/// The authenticated data of every stored ciphertext: its bytes must never change, or stored
/// values stop opening.
@Suite("Seal contexts")
struct SealContextTests {
    @Test("a frame is each part's big-endian UTF-8 length and bytes, in order (golden bytes)")
    func frameBytes() {
        #expect(SealContext.frame(["ab", "", "é"]) == [0, 0, 0, 2, 0x61, 0x62, 0, 0, 0, 0, 0, 0, 0, 2, 0xC3, 0xA9])
        let long = String(repeating: "x", count: 300)
        #expect(Array(SealContext.frame([long]).prefix(4)) == [0, 0, 1, 0x2C])
        let owner = SubjectID("0b8c3d7e-1f2a-4b5c-8d9e-0f1a2b3c4d5e")!
        let field = SealContext.field(owner: owner, field: FieldName("email"), source: SourceName("crm")!)
        let expected: [UInt8] =
            [0, 0, 0, 11] + Array("pv-field-v1".utf8) + [0, 0, 0, 36] + Array(owner.description.utf8)
            + [0, 0, 0, 5] + Array("email".utf8) + [0, 0, 0, 3] + Array("crm".utf8)
        #expect(field == expected)
    }
}

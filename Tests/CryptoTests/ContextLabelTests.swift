import Foundation
import Testing
import VaultCrypto

@Suite("Context labels")
struct ContextLabelTests {
    @Test("every AEAD context and derivation label is distinct and versioned")
    func distinct() {
        let contexts = CiphertextContext.allCases.map(\.rawValue)
        let derived = DerivedKeyLabel.allCases.map(\.rawValue)
        #expect(Set(contexts).count == contexts.count)
        #expect(Set(derived).count == derived.count)
        #expect(Set(contexts).isDisjoint(with: derived))
        #expect((contexts + derived).allSatisfy { $0.range(of: #"v\d+$"#, options: .regularExpression) != nil })
    }

    @Test("labels stay as data was written under them")
    func pinned() {
        // Changing one makes every stored ciphertext under it unreadable: a new format is a new label.
        #expect(CiphertextContext.field.rawValue == "pv-field-v1")
        #expect(CiphertextContext.dekWrap.bytes == Array("pv-dek-wrap-v1".utf8))
        #expect(DerivedKeyLabel.blindIndex.rawValue == "profilevault/blind-index/v1")
    }
}

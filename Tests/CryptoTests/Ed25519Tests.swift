import Testing

@testable import VaultCrypto

@Suite("Ed25519")
struct Ed25519Tests {
    @Test("RFC 8032 §7.1 test vectors 1 and 2")
    func rfc8032() throws {
        let one = try Ed25519PrivateKey(seed: SecureBytes(copying: [UInt8](hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")))
        #expect(try one.publicKey.bytes.hex == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(
            try one.signature(for: []).hex
                == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        let two = try Ed25519PrivateKey(seed: SecureBytes(copying: [UInt8](hex: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")))
        #expect(try two.publicKey.bytes.hex == "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
        #expect(
            try two.signature(for: [0x72]).hex
                == "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
    }

    @Test("a signature verifies only for its message and key")
    func verify() throws {
        let key = try Ed25519PrivateKey.generate()
        let message = Array("audit head 42".utf8)
        let signature = try key.signature(for: message)
        #expect(try key.publicKey.isValidSignature(signature, for: message))
        #expect(try !key.publicKey.isValidSignature(signature, for: Array("audit head 41".utf8)))
        #expect(try !Ed25519PrivateKey.generate().publicKey.isValidSignature(signature, for: message))
        var flipped = signature
        flipped[10] ^= 1
        #expect(try !key.publicKey.isValidSignature(flipped, for: message))
    }
}

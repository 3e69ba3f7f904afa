import Testing

@testable import VaultCrypto

@Suite("HMAC-SHA256, HKDF, key wrapping, constant time")
struct MACAndKDFTests {
    @Test("RFC 4231 test cases 1 and 2")
    func rfc4231() throws {
        let one = try HMACKey(secret: SecureBytes(copying: [UInt8](repeating: 0x0b, count: 20)))
        #expect(one.authenticate(Array("Hi There".utf8)).hex == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let two = try HMACKey(secret: SecureBytes(copying: Array("Jefe".utf8)))
        #expect(two.authenticate(Array("what do ya want for nothing?".utf8)).hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Parts are fed in order without separators, and a key can be reused.
        #expect(
            two.authenticate(Array("what do ya ".utf8), Array("want for nothing?".utf8)).hex
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("RFC 5869 test case 1")
    func rfc5869() throws {
        let okm = try HKDF.derive(
            from: SecureBytes(copying: [UInt8](repeating: 0x0b, count: 22)),
            salt: Array(0x00...0x0c), info: Array(0xf0...0xf9), count: 42)
        #expect(okm.unsafeArray.hex == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }

    @Test("different labels derive unrelated keys")
    func labels() throws {
        let root = try SymmetricKey.generate()
        let a = try HKDF.deriveKey(from: root, label: "profilevault/blind-index/v1")
        let b = try HKDF.deriveKey(from: root, label: "profilevault/token-hash/v1")
        #expect(a != b)
        #expect(a == (try HKDF.deriveKey(from: root, label: "profilevault/blind-index/v1")))
    }

    @Test("a wrapped data key unwraps only with its KEK and its context")
    func keyWrap() throws {
        let kek = try SymmetricKey.generate()
        let dek = try SymmetricKey.generate()
        let wrapped = try KeyWrap.wrap(dek, under: kek, context: Array("subject-a|kek-v1".utf8))
        #expect(try KeyWrap.unwrap(wrapped, under: kek, context: Array("subject-a|kek-v1".utf8)) == dek)
        #expect(throws: CryptoError.authenticationFailed) { try KeyWrap.unwrap(wrapped, under: kek, context: Array("subject-b|kek-v1".utf8)) }
        #expect(throws: CryptoError.authenticationFailed) {
            try KeyWrap.unwrap(wrapped, under: SymmetricKey.generate(), context: Array("subject-a|kek-v1".utf8))
        }
    }

    @Test("key check values tell keys apart without revealing them")
    func keyCheckValue() throws {
        let a = try SymmetricKey.generate()
        let b = try SymmetricKey.generate()
        #expect(try Keyring.checkValue(of: a) == Keyring.checkValue(of: a))
        #expect(try Keyring.checkValue(of: a) != Keyring.checkValue(of: b))
        #expect(try Keyring.checkValue(of: a).count == 16)
    }

    @Test("constant-time comparison")
    func constantTime() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([], []))
    }

    @Test("secrets never print their bytes")
    func secretDescriptions() throws {
        let key = try SymmetricKey(copying: [UInt8](repeating: 0x41, count: 32))
        #expect("\(key)" == "<key>")
        #expect("\(key.secret)" == "<secret 32 bytes>")
        #expect(!String(reflecting: key).contains("65"))
    }

    @Test("SHA-256 of 'abc' (FIPS 180-2)")
    func sha256() {
        #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

import Testing

@testable import VaultCrypto

@Suite("AES-256-GCM")
struct AESGCMTests {
    /// Test cases 13, 14 and 16 of McGrew & Viega, "The Galois/Counter Mode of Operation"
    /// (the NIST GCM submission), 256-bit keys.
    static let vectors: [(name: String, key: String, iv: String, plaintext: String, aad: String, ciphertext: String, tag: String)] = [
        ("TC13", String(repeating: "00", count: 32), String(repeating: "00", count: 12), "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"),
        (
            "TC14", String(repeating: "00", count: 32), String(repeating: "00", count: 12), String(repeating: "00", count: 16), "",
            "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"
        ),
        (
            "TC16", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b"
        ),
    ]

    @Test("published GCM vectors seal and open", arguments: vectors.indices)
    func publishedVectors(index: Int) throws {
        let v = Self.vectors[index]
        let key = try SymmetricKey(copying: [UInt8](hex: v.key))
        let sealed = try AESGCM.seal([UInt8](hex: v.plaintext), key: key, nonce: [UInt8](hex: v.iv), authenticating: [UInt8](hex: v.aad))
        #expect(sealed.hex == v.iv + v.ciphertext + v.tag, "\(v.name)")
        let opened = try AESGCM.open(sealed, key: key, authenticating: [UInt8](hex: v.aad))
        #expect(opened == [UInt8](hex: v.plaintext))
    }

    @Test("every flipped bit of nonce, ciphertext or tag fails authentication")
    func flippedBits() throws {
        let key = try SymmetricKey.generate()
        let sealed = try AESGCM.seal(Array("ann.lee@example.com".utf8), key: key, authenticating: Array("subject-a".utf8))
        for byte in sealed.indices {
            var tampered = sealed
            tampered[byte] ^= 0x01
            #expect(throws: CryptoError.authenticationFailed) {
                try AESGCM.open(tampered, key: key, authenticating: Array("subject-a".utf8))
            }
        }
    }

    @Test("a ciphertext bound to one subject does not open as another's")
    func swappedBetweenSubjects() throws {
        let key = try SymmetricKey.generate()
        let sealed = try AESGCM.seal(Array("secret".utf8), key: key, authenticating: Array("subject-a|email|crm".utf8))
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(sealed, key: key, authenticating: Array("subject-b|email|crm".utf8))
        }
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(sealed, key: SymmetricKey.generate(), authenticating: Array("subject-a|email|crm".utf8))
        }
    }

    @Test("fresh nonces: sealing the same value twice gives different ciphertexts")
    func freshNonces() throws {
        let key = try SymmetricKey.generate()
        let a = try AESGCM.seal([1, 2, 3], key: key, authenticating: [])
        let b = try AESGCM.seal([1, 2, 3], key: key, authenticating: [])
        #expect(a != b)
        #expect(try AESGCM.open(a, key: key, authenticating: []) == [1, 2, 3])
    }

    @Test("buffered nonces: 12 bytes each, never repeated across refills, and seals still open")
    func pooledNonces() throws {
        let pool = NoncePool()
        let drawn = try (0..<1000).map { _ in try pool.bytes(AESGCM.nonceCount) }  // ≈ 3 refills
        #expect(drawn.allSatisfy { $0.count == 12 })
        #expect(Set(drawn).count == drawn.count)
        let key = try SymmetricKey.generate()
        let boxes = try (0..<400).map { _ in try AESGCM.seal([42], key: key, authenticating: []) }
        #expect(Set(boxes.map { Array($0.prefix(AESGCM.nonceCount)) }).count == boxes.count)
        #expect(try boxes.allSatisfy { try AESGCM.open($0, key: key, authenticating: []) == [42] })
    }

    @Test("truncated input is rejected as malformed")
    func truncated() throws {
        let key = try SymmetricKey.generate()
        #expect(throws: CryptoError.malformedCiphertext) { try AESGCM.open([1, 2, 3], key: key, authenticating: []) }
    }

    @Test("a box after a header opens in place like the box alone; too short or tampered fails")
    func openFromOffset() throws {
        let key = try SymmetricKey.generate()
        let box = try AESGCM.seal(Array("ann@example.com".utf8), key: key, authenticating: [7])
        let framed: [UInt8] = [1, 9] + box
        #expect(try AESGCM.open(framed, from: 2, key: key, authenticating: [7]) == Array("ann@example.com".utf8))
        #expect(try AESGCM.open(box + [], from: 0, key: key, authenticating: [7]) == AESGCM.open(box, key: key, authenticating: [7]))
        #expect(throws: CryptoError.malformedCiphertext) { try AESGCM.open(framed, from: framed.count - AESGCM.overhead + 1, key: key, authenticating: [7]) }
        #expect(throws: CryptoError.malformedCiphertext) { try AESGCM.open(framed, from: -1, key: key, authenticating: [7]) }
        #expect(throws: CryptoError.authenticationFailed) { try AESGCM.open(framed, from: 1, key: key, authenticating: [7]) }
        var tampered = framed
        tampered[framed.count - 1] ^= 1
        #expect(throws: CryptoError.authenticationFailed) { try AESGCM.open(tampered, from: 2, key: key, authenticating: [7]) }
    }

    @Test("keys must be 32 bytes")
    func keyLength() {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: 16)) { try SymmetricKey(copying: [UInt8](repeating: 0, count: 16)) }
    }
}

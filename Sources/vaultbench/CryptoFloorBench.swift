import Foundation
import VaultCrypto

/// The physical floor of a view: AES-256-GCM open and seal of one field value at the sizes
/// the demo holds (16, 32, 64 bytes, with a 40-byte context as AAD), and HMAC-SHA256 of an
/// identifier (a blind index), on one core through the same OpenSSL calls the vault makes.
/// `vaultbench crypto`.
enum CryptoFloorBench {
    static func run() throws {
        let key = try SymmetricKey.generate()
        let hmac = try HMACKey(try SymmetricKey.generate())
        let aad = Array(repeating: UInt8(0x61), count: 40)
        print("AES-256-GCM and HMAC-SHA256 floor (one core, OpenSSL via VaultCrypto):")
        for size in [16, 32, 64] {
            let plaintext = Array(repeating: UInt8(0x42), count: size)
            let sealed = try AESGCM.seal(plaintext, key: key, authenticating: aad)
            let rounds = 200_000
            var start = ContinuousClock.now
            for _ in 0..<rounds { _ = try AESGCM.open(sealed, key: key, authenticating: aad) }
            let open = Double(rounds) / VaultBench.seconds(ContinuousClock.now - start)
            start = ContinuousClock.now
            for _ in 0..<rounds { _ = try AESGCM.seal(plaintext, key: key, authenticating: aad) }
            let seal = Double(rounds) / VaultBench.seconds(ContinuousClock.now - start)
            print(
                String(
                    format: "  %2d-byte value: open %9.0f ops/s (%.2f µs)   seal %9.0f ops/s (%.2f µs, with a random nonce)",
                    size, open, 1e6 / open, seal, 1e6 / seal))
        }
        let identifier = Array("ann.lee@example.com".utf8)
        let rounds = 500_000
        let start = ContinuousClock.now
        for _ in 0..<rounds { _ = hmac.authenticate(identifier) }
        let rate = Double(rounds) / VaultBench.seconds(ContinuousClock.now - start)
        print(String(format: "  HMAC-SHA256 blind index of a 19-byte email: %9.0f ops/s (%.2f µs)", rate, 1e6 / rate))
    }
}

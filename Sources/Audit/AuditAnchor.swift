import Foundation
import VaultCrypto

/// A signed statement of the chain head, kept outside the chain (an append-only file beside
/// the database, and inside receipts), so that deleting the newest entries is detected:
/// the chain must still reach the anchored sequence number with the anchored hash.
public struct AuditAnchor: Codable, Sendable, Equatable {
    public let seq: Int64
    public let head: String
    public let at: String
    public let public_key: String
    public let signature: String

    public static func message(seq: Int64, head: String, at: String) -> [UInt8] {
        Array("profilevault-audit-anchor-v1|\(seq)|\(head)|\(at)".utf8)
    }

    public static func sign(seq: Int64, head: [UInt8], at: Date, key: Ed25519PrivateKey) throws -> AuditAnchor {
        let headHex = head.map { String(format: "%02x", $0) }.joined()
        let time = ISO8601DateFormatter().string(from: at)
        let signature = try key.signature(for: message(seq: seq, head: headHex, at: time))
        return AuditAnchor(
            seq: seq, head: headHex, at: time, public_key: Data(try key.publicKey.bytes).base64EncodedString(),
            signature: Data(signature).base64EncodedString())
    }

    /// True when the signature is valid under `trusted` (the vault's own public key).
    public func isAuthentic(trusting trusted: Ed25519PublicKey) -> Bool {
        guard let signature = Data(base64Encoded: signature), Data(base64Encoded: public_key).map(Array.init) == trusted.bytes else { return false }
        return trusted.isValidSignature(Array(signature), for: Self.message(seq: seq, head: head, at: at))
    }
}

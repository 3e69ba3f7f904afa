import Foundation
import VaultCrypto

/// A signed statement of the chain heads, kept outside the chains (an append-only file beside
/// the database, and inside receipts), so that deleting the newest entries is detected: each
/// chain must still reach its anchored sequence number with the anchored hash. Anchors written
/// before the reads chain existed name the store's chain alone (message v1); later ones name
/// both heads (v2), signed together.
public struct AuditAnchor: Codable, Sendable, Equatable {
    public let seq: Int64
    public let head: String
    public let at: String
    public let public_key: String
    public let signature: String
    /// The reads chain's head (`AuditChainName.reads`), when it has its own chain.
    public let reads_seq: Int64?
    public let reads_head: String?

    public init(seq: Int64, head: String, at: String, public_key: String, signature: String, reads_seq: Int64? = nil, reads_head: String? = nil) {
        self.seq = seq
        self.head = head
        self.at = at
        self.public_key = public_key
        self.signature = signature
        self.reads_seq = reads_seq
        self.reads_head = reads_head
    }

    public static func message(seq: Int64, head: String, at: String) -> [UInt8] {
        Array("profilevault-audit-anchor-v1|\(seq)|\(head)|\(at)".utf8)
    }

    public static func message(seq: Int64, head: String, readsSeq: Int64, readsHead: String, at: String) -> [UInt8] {
        Array("profilevault-audit-anchor-v2|\(seq)|\(head)|\(readsSeq)|\(readsHead)|\(at)".utf8)
    }

    var message: [UInt8] {
        if let reads_seq, let reads_head { return Self.message(seq: seq, head: head, readsSeq: reads_seq, readsHead: reads_head, at: at) }
        return Self.message(seq: seq, head: head, at: at)
    }

    /// Signs the store chain's head and, when there is one, the reads chain's (an empty chain's
    /// head is sequence 0 and the genesis hash).
    public static func sign(seq: Int64, head: [UInt8], reads: (seq: Int64, hash: [UInt8])? = nil, at: Date, key: Ed25519PrivateKey) throws -> AuditAnchor {
        let time = ISO8601DateFormatter().string(from: at)
        let unsigned = AuditAnchor(
            seq: seq, head: HashChain.hex(head), at: time, public_key: Data(try key.publicKey.bytes).base64EncodedString(), signature: "",
            reads_seq: reads?.seq, reads_head: reads.map { HashChain.hex($0.hash) })
        let signature = try key.signature(for: unsigned.message)
        return AuditAnchor(
            seq: unsigned.seq, head: unsigned.head, at: time, public_key: unsigned.public_key, signature: Data(signature).base64EncodedString(),
            reads_seq: unsigned.reads_seq, reads_head: unsigned.reads_head)
    }

    /// True when the signature is valid under `trusted` (the vault's own public key).
    public func isAuthentic(trusting trusted: Ed25519PublicKey) -> Bool {
        guard (reads_seq == nil) == (reads_head == nil) else { return false }
        guard let signature = Data(base64Encoded: signature), Data(base64Encoded: public_key).map(Array.init) == trusted.bytes else { return false }
        return trusted.isValidSignature(Array(signature), for: message)
    }

    /// The head this anchor names on `chain` (sequence 0 is the empty chain), if it names one.
    public func anchoredHead(of chain: AuditChainName) -> (seq: Int64, head: String)? {
        switch chain {
        case .store: (seq, head)
        case .reads: reads_seq.flatMap { seq in reads_head.map { (seq, $0) } }
        }
    }
}

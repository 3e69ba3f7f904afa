import Foundation
import VaultCrypto

/// The keyed hash chain over audit entries.
///
/// hash(n) = HMAC-SHA256(audit key, hash(n-1) ‖ canonical(entry n)), hash(0) = 32 zero bytes.
/// The sequence number is part of the input, so deleting, inserting or reordering entries
/// breaks every later link. Keying with the audit key means a database writer who lacks
/// the key cannot recompute a consistent chain after editing it.
public struct HashChain: Sendable {
    public static let genesis = [UInt8](repeating: 0, count: 32)
    let key: HMACKey

    public init(key: HMACKey) { self.key = key }

    /// A hash as anchors write it: lowercase hex.
    public static func hex(_ hash: [UInt8]) -> String { hash.map { String(format: "%02x", $0) }.joined() }

    public func hash(seq: Int64, draft: AuditDraft, previous: [UInt8]) -> [UInt8] {
        key.authenticate(previous, Self.canonical(seq: seq, draft: draft))
    }

    /// A stable byte encoding: every member length-prefixed, in a fixed order, times in
    /// milliseconds. (JSON key order is not stable on Linux, so JSON is never hashed.)
    public static func canonical(seq: Int64, draft: AuditDraft) -> [UInt8] {
        var out: [UInt8] = Array("pv-audit-v1".utf8)
        func put(_ text: String?) {
            guard let text else {
                out += [0xff, 0xff, 0xff, 0xff]
                return
            }
            let bytes = Array(text.utf8)
            out += withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init) + bytes
        }
        func put(_ list: [String]) {
            out += withUnsafeBytes(of: UInt32(list.count).bigEndian, Array.init)
            for item in list { put(item) }
        }
        out += withUnsafeBytes(of: seq.bigEndian, Array.init)
        out += withUnsafeBytes(of: Int64((draft.at.timeIntervalSince1970 * 1000).rounded()).bigEndian, Array.init)
        put(draft.requestID)
        put(draft.principal)
        put(draft.role)
        put(draft.source)
        put(draft.purpose)
        put(draft.action)
        put(draft.subjectIDs)
        put(draft.fields)
        put(draft.policyVersion)
        put(draft.outcome)
        put(draft.detail)
        return out
    }
}

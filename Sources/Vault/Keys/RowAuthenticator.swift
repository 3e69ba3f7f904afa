import Audit
import Foundation
import Storage
import VaultCrypto
import VaultModel

/// Authenticates the stored rows that carry an authorization decision (a token's principal,
/// role, source and revocation; a policy version's files) with a key the database doesn't hold.
///
/// The database is untrusted (PRODUCT.md §4): whoever can write it could otherwise give a token
/// the compliance role or rewrite the policy in force. The key is derived from the index root,
/// like the token-hash key, so it survives master-key rotation (the root is re-wrapped, not
/// replaced). A row whose tag doesn't match is an integrity error and is never served.
///
/// Each tag covers a domain label and the row's fields, each length-prefixed (a missing value
/// is distinct from an empty one), so no two rows of different shape share an encoding.
public struct RowAuthenticator: Sendable {
    let key: HMACKey

    init(indexRoot: SymmetricKey) throws {
        key = try HMACKey(HKDF.deriveKey(from: indexRoot, .rowAuth))
    }

    /// A stable name of this vault (its index root's), for the records kept outside the
    /// database that must not be mixed up with another vault's: the erasure ledger, backups.
    public var vaultID: String { Self.hex(Array(tag("vault-id/v1", []).prefix(16))) }

    public func tag(_ token: TokenRecord) -> [UInt8] {
        tag(
            "token/v1",
            [
                token.id.uuidString.lowercased(), token.principal, token.role, token.source,
                Self.hex(token.hash), Self.millis(token.createdAt), token.revokedAt.map(Self.millis),
                String(token.approval.rawValue), token.createdBy,
            ])
    }

    public func tag(_ policy: PolicyVersionRecord) -> [UInt8] {
        var fields: [String?] = [String(policy.version), policy.digest, Self.millis(policy.appliedAt), policy.appliedBy]
        for (name, content) in policy.files.sorted(by: { $0.key < $1.key }) { fields += [name, content] }
        return tag("policy-version/v1", fields)
    }

    public func tag(_ request: RequestRecord) -> [UInt8] {
        tag(
            "request/v1",
            [
                request.id.uuidString.lowercased(), request.kind.rawValue, request.regulation.rawValue, request.subjectID?.description, request.status.rawValue,
                Self.millis(request.receivedAt), Self.millis(request.dueAt), request.extendedDueAt.map(Self.millis),
                request.duplicateOf?.uuidString.lowercased(), request.verifiedAt.map(Self.millis), request.startedAt.map(Self.millis),
                request.completedAt.map(Self.millis), request.purposes.joined(separator: ","), request.receipt,
                Self.millis(request.createdAt), request.createdBy,
            ])
    }

    public func verify(_ request: RequestRecord) -> Bool {
        guard let mac = request.mac else { return false }
        return ConstantTime.equals(mac, tag(request))
    }

    /// Whether `token` carries its own tag (constant time).
    public func verify(_ token: TokenRecord) -> Bool {
        guard let mac = token.mac else { return false }
        return ConstantTime.equals(mac, tag(token))
    }

    public func verify(_ policy: PolicyVersionRecord) -> Bool {
        guard let mac = policy.mac else { return false }
        return ConstantTime.equals(mac, tag(policy))
    }

    /// Framed as sealing contexts are (`SealContext.frame`); a present field is prefixed with
    /// "=", so a missing value and an empty one differ.
    func tag(_ domain: String, _ fields: [String?]) -> [UInt8] {
        key.authenticate(SealContext.frame([domain] + fields.map { $0.map { "=" + $0 } ?? "" }))
    }

    static func millis(_ date: Date) -> String { String(date.unixMillis) }
    static func hex(_ bytes: [UInt8]) -> String { HashChain.hex(bytes) }
}

extension RowAuthenticator {
    public func tag<Row: TaggedRow>(_ row: Row) -> [UInt8] { tag(Row.tagDomain, row.tagFields) }

    public func verify<Row: TaggedRow>(_ row: Row, mac: [UInt8]?) -> Bool { verify(domain: Row.tagDomain, row.tagFields, mac: mac) }
}

extension RowAuthenticator: StoreRowAuthenticator {
    public func tag(domain: String, _ fields: [String?]) -> [UInt8] { tag(domain, fields) }

    public func verify(domain: String, _ fields: [String?], mac: [UInt8]?) -> Bool {
        guard let mac else { return false }
        return ConstantTime.equals(mac, tag(domain, fields))
    }
}

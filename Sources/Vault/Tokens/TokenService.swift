import Audit
import Catalog
import Foundation
import Identity
import Storage
import VaultCrypto
import VaultModel

/// Bearer tokens: minted random, shown once, stored only as a keyed hash.
public struct TokenService: Sendable {
    let store: any VaultStore
    let keys: VaultKeys
    let policies: PolicyState
    let cache: TokenCache
    /// Separation of duties as a deployment setting (`dual_control`): a privileged grant works
    /// only once a second principal approved it.
    public let dualControl: Bool
    var bundle: PolicyBundle { policies.current.bundle }

    /// `cacheLifetime`: how long a valid token is trusted without asking the store again (zero: never cached).
    public init(store: any VaultStore, keys: VaultKeys, policies: PolicyState, cacheLifetime: Duration = .seconds(2), dualControl: Bool = false) {
        self.store = store
        self.keys = keys
        self.policies = policies
        self.dualControl = dualControl
        cache = TokenCache(lifetime: cacheLifetime)
    }

    public static let prefix = "pvt_"

    public struct Created: Sendable {
        public let record: TokenRecord
        /// The bearer token; returned once, never stored.
        public let token: Sensitive<String>
        /// A role that is shown personal values (`privilegedAction`).
        public let privileged: Bool
        /// Under dual control, a privileged grant waits for approval before the token works.
        public var awaitingApproval: Bool { record.awaitingApproval }
    }

    /// The audit action of a grant of a role that is shown personal values: separation of
    /// duties (PRODUCT.md §5) lets admin create such tokens but not unseen — `vaultctl audit
    /// tail` and the console's overview flag it, and a metric counts it.
    public static let privilegedAction = "token.create.privileged"

    /// Creates a token for `principal` with exactly one of a role or a source.
    public func create(principal: String, kind: Principal.Kind, caller: Caller, presetToken: String? = nil, now: Date = Date()) async throws -> Created {
        let name = principal.trimmingCharacters(in: .whitespaces)
        // Control and format characters (bidi overrides, zero-width) would make an audit line or
        // a console row read as another principal's name.
        guard !name.isEmpty, name.count <= 128,
            name.unicodeScalars.allSatisfy({ ![.control, .format].contains($0.properties.generalCategory) })
        else {
            throw TokenError.invalidPrincipal
        }
        switch kind {
        case .role(let role): guard bundle.roles.exists(role) else { throw TokenError.unknownRole }
        case .ingest(let source):
            // `dsr` is written by the vault itself (rectifications), never by a source.
            guard bundle.catalog.sources[source] != nil, source.rawValue != Survivorship.rectificationSource else { throw TokenError.unknownSource }
        }
        let token: String
        if let presetToken {
            guard presetToken.utf8.count >= 16, presetToken.utf8.count <= 256,
                presetToken.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isWhitespace == false })
            else {
                throw TokenError.weakPresetToken
            }
            token = presetToken
        } else {
            token = Self.prefix + Base64URL.encode(try SecureRandom.bytes(32))
        }
        let privileged = kind.roleName.map { policies.current.table.disclosesValues(to: $0) } ?? false
        // The bootstrap (the root token, the demo's principals) is the vault's own doing: no second principal exists yet.
        let awaiting = dualControl && privileged && !caller.isSystem
        var record = TokenRecord(
            id: UUID(), principal: name, role: kind.roleName?.rawValue, source: kind.sourceName?.rawValue,
            hash: keys.tokenHash(token), createdAt: now, revokedAt: nil, approval: awaiting ? .awaiting : .notRequired,
            createdBy: caller.isSystem ? Self.systemCreator : caller.principal)
        record.mac = keys.rows.tag(record)
        let scope = kind.roleName.map { "role \($0)" } ?? "source \(kind.sourceName!.rawValue)"
        let action = privileged ? Self.privilegedAction : "token.create"
        let detail =
            "token \(record.id.uuidString.lowercased()) for \(name), \(scope)" + (privileged ? " (privileged: the role is shown personal values)" : "")
            + (awaiting ? "; awaiting a second principal's approval (dual control)" : "")
        let audit = AuditWrite(draft: caller.draft(action, detail: detail, at: now), chain: keys.auditChain)
        try await store.insertToken(record, audit: audit)
        return Created(record: record, token: Sensitive(token), privileged: privileged)
    }

    /// The principal of a bearer token, or nil if unknown or revoked. A row whose tag doesn't
    /// match (its role, source, principal or revocation changed outside the vault) throws
    /// `RowIntegrityError.token`: never authenticated, never read as "revoked" either.
    public func authenticate(_ bearer: String) async throws -> Principal? {
        guard !bearer.isEmpty, bearer.utf8.count <= 512 else { return nil }
        let hash = keys.tokenHash(bearer)
        if let known = cache.principal(forHash: hash) { return known }
        let generation = cache.generation
        guard let record = try await store.token(withHash: hash), ConstantTime.equals(record.hash, hash) else { return nil }
        guard keys.rows.verify(record) else { throw RowIntegrityError.token }
        guard record.revokedAt == nil, !record.awaitingApproval else { return nil }
        // Decided at use, not only at creation: a token created while its role was shown
        // nothing (a policy applied for the purpose, then reverted) is refused once it is.
        if retiredAtUse(record) { return nil }
        let principal: Principal
        if let role = record.role {
            principal = Principal(tokenID: record.id, name: record.principal, kind: .role(RoleName(role)))
        } else if let source = record.source.flatMap(SourceName.init) {
            principal = Principal(tokenID: record.id, name: record.principal, kind: .ingest(source))
        } else {
            return nil
        }
        cache.remember(principal, forHash: hash, readAt: generation)
        return principal
    }

    /// The tokens whose rows carry their tag; the others are left out and their ids audited
    /// as an integrity error (an officer can still revoke them).
    public func list(caller: Caller, audit: AuditLog) async throws -> [TokenRecord] {
        let all = try await store.tokens()
        let tokens = all.filter(keys.rows.verify)
        if tokens.count < all.count {
            let failed = all.filter { !keys.rows.verify($0) }.map { $0.id.uuidString.lowercased() }
            try await audit.record(
                caller.draft("integrity.error", outcome: "failed", detail: "token rows failed their authentication: \(failed.joined(separator: ", "))"))
        }
        try await audit.record(caller.draft("token.list", detail: "\(tokens.count) tokens"))
        return tokens
    }

    public func revoke(_ id: UUID, caller: Caller, now: Date = Date()) async throws -> Bool {
        let audit = AuditWrite(draft: caller.draft("token.revoke", detail: "token \(id.uuidString.lowercased())", at: now), chain: keys.auditChain)
        // Emptied after the store changed; reads that began earlier can't re-cache (generation).
        defer { cache.removeAll() }
        // The new tag covers the revoked row. A row that fails its tag is revoked all the same
        // (revoking is always safe): the revoked row gets a valid tag and stays refused.
        // Computed from the row as read, written only while the row is unchanged (`expectedMAC`):
        // a concurrent approval makes the update miss, and the revocation reads again.
        for _ in 0..<5 {
            guard let current = try await store.tokens().first(where: { $0.id == id }), current.revokedAt == nil else {
                return try await store.revokeToken(id: id, at: now, mac: [], expectedMAC: [], audit: audit)
            }
            let revoked = TokenRecord(
                id: current.id, principal: current.principal, role: current.role, source: current.source,
                hash: current.hash, createdAt: current.createdAt, revokedAt: now,
                approval: current.approval, createdBy: current.createdBy)
            if try await store.revokeToken(id: id, at: now, mac: keys.rows.tag(revoked), expectedMAC: current.mac, audit: audit) { return true }
        }
        throw StoreError.staleResolution
    }

    /// Under dual control, a token no second principal approved, created by an admin for a
    /// role that is shown personal values now (created while it wasn't, or before dual control
    /// was on): refused until approved.
    func retiredAtUse(_ record: TokenRecord) -> Bool {
        guard dualControl, record.approval == .notRequired, record.createdBy != Self.systemCreator, let role = record.role else { return false }
        return policies.current.table.disclosesValues(to: RoleName(role))
    }

    /// `createdBy` of the tokens vaultd created itself (the root token, the demo's): empty, a name no principal can have.
    static let systemCreator = ""

    /// Dual control: a second principal approves a grant waiting for it, and the token works
    /// from then on. The approver holds the compliance role (never the creator, who is an
    /// admin). The first compliance principal's grant is approved at the host, out of band,
    /// by the operator who holds the data directory (`vaultd --approve-token`): an admin able
    /// to mint a second admin token can't approve its own grants.
    public func approve(_ id: UUID, caller: Caller, now: Date = Date()) async throws -> TokenRecord {
        let all = try await store.tokens()
        guard let current = all.first(where: { $0.id == id }), current.revokedAt == nil, current.awaitingApproval || retiredAtUse(current)
        else { throw TokenError.notAwaitingApproval }
        guard keys.rows.verify(current) else { throw RowIntegrityError.token }
        guard caller.principal != current.createdBy else { throw TokenError.approverIsCreator }
        guard caller.role == .compliance || caller.isSystem else { throw TokenError.approverNotAllowed }
        var approved = current
        approved.approval = .approved
        approved.mac = keys.rows.tag(approved)
        let audit = AuditWrite(
            draft: caller.draft(
                "token.approve",
                detail: "token \(id.uuidString.lowercased()) for \(current.principal), role \(current.role ?? "-"), created by \(current.createdBy ?? "-")",
                at: now),
            chain: keys.auditChain)
        guard try await store.approveToken(id: id, mac: approved.mac!, audit: audit) else { throw TokenError.notAwaitingApproval }
        return approved
    }

    public func hasAnyToken() async throws -> Bool { !(try await store.tokens().isEmpty) }
}

public enum TokenError: Error, Sendable, CustomStringConvertible {
    case invalidPrincipal, unknownRole, unknownSource, weakPresetToken
    case notAwaitingApproval, approverIsCreator, approverNotAllowed
    public var description: String {
        switch self {
        case .invalidPrincipal: "the principal name must be 1 to 128 printable characters (no control, direction or invisible characters)"
        case .unknownRole: "the role is not in the policy bundle"
        case .unknownSource: "the source is not in the policy bundle"
        case .weakPresetToken: "PROFILEVAULT_ROOT_TOKEN must be 16 to 256 printable ASCII characters without spaces"
        case .notAwaitingApproval: "no token with this id is waiting for approval"
        case .approverIsCreator: "the token's creator can't approve it: dual control needs a second principal"
        case .approverNotAllowed: "a compliance principal approves privileged grants (the first one is approved at the host: vaultd --approve-token ID)"
        }
    }
}

extension Principal.Kind {
    var roleName: RoleName? { if case .role(let r) = self { r } else { nil } }
    var sourceName: SourceName? { if case .ingest(let s) = self { s } else { nil } }
}

/// Base64url without padding (RFC 4648 §5), for tokens that travel in headers.
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

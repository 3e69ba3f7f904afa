import Foundation
import Storage
import VaultCrypto
import VaultModel

/// Server-side compliance-console sessions, kept in the database so that any replica serves
/// any signed-in officer: a random 256-bit id (the cookie) → the signed-in token and a CSRF
/// token. The row is named by a keyed hash of the id and its content is sealed, so the
/// database holds neither a usable cookie nor a token. Sessions expire after `idle` without
/// a request and end at sign-out; the token is authenticated again on every request, so
/// revoking it ends its sessions at once.
public struct ConsoleSessionService: Sendable {
    public struct Session: Sendable {
        public let token: Sensitive<String>
        public let csrf: String
    }

    public static let idle: TimeInterval = 15 * 60
    let store: any VaultStore
    let keys: VaultKeys

    public init(store: any VaultStore, keys: VaultKeys) {
        self.store = store
        self.keys = keys
    }

    public func create(token: Sensitive<String>, now: Date = Date()) async throws -> (id: String, csrf: String) {
        let id = try Self.random()
        let csrf = try Self.random()
        let idHash = hash(id)
        let content = try JSONEncoder().encode(Content(token: token.unsafeValue, csrf: csrf))
        let sealed = try Envelope.seal(Array(content), key: keys.sessionKey, context: Self.context(idHash))
        try await store.insertConsoleSession(ConsoleSessionRecord(idHash: idHash, sealed: sealed, expiresAt: now.addingTimeInterval(Self.idle)), now: now)
        return (id, csrf)
    }

    /// The live session of `id`, its idle expiry pushed back; nil when unknown, expired or not openable.
    public func touch(_ id: String, now: Date = Date()) async throws -> Session? {
        let idHash = hash(id)
        guard let sealed = try await store.touchConsoleSession(idHash: idHash, now: now, renewedUntil: now.addingTimeInterval(Self.idle)),
            let content = try? JSONDecoder().decode(Content.self, from: Data(Envelope.open(sealed, key: keys.sessionKey, context: Self.context(idHash))))
        else { return nil }
        return Session(token: Sensitive(content.token), csrf: content.csrf)
    }

    public func end(_ id: String) async throws {
        try await store.deleteConsoleSession(idHash: hash(id))
    }

    public static func random() throws -> String {
        try SecureRandom.bytes(32).map { String(format: "%02x", $0) }.joined()
    }

    func hash(_ id: String) -> [UInt8] { keys.sessionIDKey.authenticate(Array(id.utf8)) }

    static func context(_ idHash: [UInt8]) -> [UInt8] { CiphertextContext.consoleSession.bytes + idHash }

    private struct Content: Codable {
        let token: String
        let csrf: String
    }
}

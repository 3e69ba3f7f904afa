import Foundation
import Vault
import VaultCrypto
import VaultModel

/// Server-side console sessions: a random 256-bit id (the cookie) → the signed-in token and a
/// CSRF token. Sessions expire after `idle` without a request and end at sign-out; the API
/// token is authenticated again on every request, so revoking it ends its sessions at once.
/// Held in memory only: a restart signs everyone out.
actor ConsoleSessions {
    struct Session: Sendable {
        let token: Sensitive<String>
        let csrf: String
        var expires: Date
    }

    static let idle: TimeInterval = 15 * 60
    private var sessions: [String: Session] = [:]

    func create(token: Sensitive<String>, now: Date = Date()) throws -> (id: String, csrf: String) {
        sessions = sessions.filter { $0.value.expires > now }
        let id = try Self.random(), csrf = try Self.random()
        sessions[id] = Session(token: token, csrf: csrf, expires: now.addingTimeInterval(Self.idle))
        return (id, csrf)
    }

    /// The live session of `id`, its idle expiry pushed back; nil when unknown or expired.
    func touch(_ id: String, now: Date = Date()) -> Session? {
        guard var session = sessions[id] else { return nil }
        guard session.expires > now else { sessions[id] = nil; return nil }
        session.expires = now.addingTimeInterval(Self.idle)
        sessions[id] = session
        return session
    }

    func end(_ id: String) { sessions[id] = nil }

    static func random() throws -> String {
        try SecureRandom.bytes(32).map { String(format: "%02x", $0) }.joined()
    }
}

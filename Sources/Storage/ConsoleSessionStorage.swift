import Foundation

/// A compliance-console session as stored: keyed by a keyed hash of its cookie value (the
/// database never holds a usable cookie), the signed-in token and CSRF token sealed.
public struct ConsoleSessionRecord: Sendable, Equatable {
    public let idHash: [UInt8]
    public let sealed: [UInt8]
    public let expiresAt: Date

    public init(idHash: [UInt8], sealed: [UInt8], expiresAt: Date) {
        self.idHash = idHash
        self.sealed = sealed
        self.expiresAt = expiresAt
    }
}

/// Console sessions in the database, so every replica serves every signed-in officer.
public protocol ConsoleSessionStore: Sendable {
    /// Stores a new session, and deletes sessions expired by `now`.
    func insertConsoleSession(_ session: ConsoleSessionRecord, now: Date) async throws
    /// The sealed content of the session with `idHash` if it is alive at `now`, its expiry moved
    /// to `renewedUntil`; nil when unknown or expired.
    func touchConsoleSession(idHash: [UInt8], now: Date, renewedUntil: Date) async throws -> [UInt8]?
    func deleteConsoleSession(idHash: [UInt8]) async throws
}

import Foundation
import Synchronization

/// Bounds the audit entries for requests refused without a valid credential (a missing or
/// unknown token, a console sign-in refused). Anyone can send those, and each one would be a
/// permanent entry in the hash chain: an unauthenticated client could grow the audit log
/// without limit. Up to `perMinute` are recorded one by one; beyond that they are counted,
/// and the next recorded one says how many went unrecorded, so the chain still accounts for
/// every refusal.
final class AnonymousDenials: Sendable {
    private let limiter: RateLimiter
    private let unrecorded = Mutex(0)

    init(perMinute: Int = 120) { limiter = RateLimiter(perMinute: perMinute) }

    /// nil: over the limit, counted and not to be recorded; otherwise how many went unrecorded
    /// before this one, to be named in its entry.
    func admit(now: ContinuousClock.Instant = .now) -> Int? {
        guard limiter.take(for: "anonymous", now: now) == nil else {
            unrecorded.withLock { $0 += 1 }
            return nil
        }
        return unrecorded.withLock { count in
            defer { count = 0 }
            return count
        }
    }

    /// The detail of a recorded entry, with the count of unrecorded refusals before it.
    static func detail(_ detail: String, unrecorded: Int) -> String {
        unrecorded == 0 ? detail : "\(detail) (+\(unrecorded) refusals without a credential not recorded one by one before this one)"
    }
}

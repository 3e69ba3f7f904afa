import Foundation
import Synchronization

/// A token bucket per principal, for routes that answer "does this person exist?"
/// (`POST /v1/subjects/lookup` is an enumeration oracle: OWASP API4/API6).
final class RateLimiter: Sendable {
    let capacity: Double
    let refillPerSecond: Double
    private let buckets = Mutex<[String: (tokens: Double, at: ContinuousClock.Instant)]>([:])

    /// `perMinute` requests per minute on average, bursts up to the same number.
    init(perMinute: Int) {
        capacity = Double(perMinute)
        refillPerSecond = Double(perMinute) / 60
    }

    /// nil when allowed; otherwise the seconds to wait before the next request is allowed.
    func take(for key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            var bucket = buckets[key] ?? (capacity, now)
            let elapsed = now - bucket.at
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + seconds * refillPerSecond)
            bucket.at = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return Int(((1 - bucket.tokens) / refillPerSecond).rounded(.up)) }
            bucket.tokens -= 1
            return nil
        }
    }
}

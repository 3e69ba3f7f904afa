import Testing

@testable import VaultServer

@Suite("Rate limiter")
struct RateLimiterTests {
    @Test("a bucket allows its burst, then refills with time")
    func refill() {
        let limiter = RateLimiter(perMinute: 60)
        let start = ContinuousClock.now
        for _ in 0..<60 { #expect(limiter.take(for: "p", now: start) == nil) }
        #expect(limiter.take(for: "p", now: start) == 1)
        #expect(limiter.take(for: "q", now: start) == nil, "buckets are per principal")
        #expect(limiter.take(for: "p", now: start + .seconds(1)) == nil)
    }
}

import Foundation

extension Date {
    /// Milliseconds since 1970, rounded: how the stores keep times, so a value tagged or
    /// sealed in memory compares equal to the one read back.
    public var unixMillis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}

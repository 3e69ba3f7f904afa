import Foundation
import Hummingbird
import Logging
import Synchronization
import VaultModel

/// Per-request state: who is calling (set by `AuthenticationMiddleware`) and the request id
/// that ties the response, the logs and (later) the audit entry together.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    public var requestID: String
    /// Console requests: the submitted form (POST) and the session's CSRF token.
    var form: [String: String] = [:]
    var csrf: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        principal = nil
        requestID = RequestIDGenerator.next()
    }

    /// Bodies larger than this are refused with 413 before they are parsed.
    public var maxUploadSize: Int { ServerLimits.maximumBodyBytes }
}

/// Limits applied to every request.
public enum ServerLimits {
    /// 8 MiB by default: a batch of 1,000 records of a dozen fields fits with room to spare.
    public static let defaultBodyBytes = 8 * 1024 * 1024
    private static let bodyLimit = Atomic<Int>(defaultBodyBytes)

    /// Bodies larger than this are refused with 413 `body-too-large`.
    public static var maximumBodyBytes: Int { bodyLimit.load(ordering: .relaxed) }

    /// Set once by vaultd from its configuration, before serving.
    public static func configure(maximumBodyBytes: Int) { bodyLimit.store(maximumBodyBytes, ordering: .relaxed) }
}

/// Request ids in time order: 11 hex digits of milliseconds since 1970, 5 of a counter that
/// starts at random, and 4 random per process (replicas). Unique within a process up to a
/// million requests a millisecond.
///
/// Random ids scattered the audit log's `request_id` index: every audit entry dirtied a page of
/// its own there, written to the WAL and then again by the checkpoint, for each group commit of
/// views. Ids in time order land on the index's last page. They correlate a response, its logs
/// and its audit entries; they are not secrets.
enum RequestIDGenerator {
    private static let counter = Atomic<UInt32>(UInt32.random(in: 0...0xfffff))
    private static let processTag = UInt16.random(in: .min ... .max)

    static func next(now: Date = Date()) -> String {
        let millis = UInt64(max(0, (now.timeIntervalSince1970 * 1000).rounded()))
        let count = UInt64(counter.add(1, ordering: .relaxed).newValue & 0xfffff)
        return String(unsafeUninitializedCapacity: 20) { buffer in
            func put(_ value: UInt64, digits count: Int, at start: Int) {
                var value = value
                for i in stride(from: start + count - 1, through: start, by: -1) {
                    buffer[i] = HexDigit.lowercase(value)
                    value >>= 4
                }
            }
            put(millis, digits: 11, at: 0)
            put(count, digits: 5, at: 11)
            put(UInt64(processTag), digits: 4, at: 16)
            return 20
        }
    }
}

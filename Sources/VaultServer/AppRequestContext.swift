import Hummingbird
import Synchronization
import Logging
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

enum RequestIDGenerator {
    static func next() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next(), radix: 16, uppercase: false)
    }
}

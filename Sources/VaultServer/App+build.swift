import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Vault

/// Where and how vaultd serves.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// How often the audit chain head is signed into the anchors file.
    public var anchorInterval: Duration
    /// Data keys re-wrapped per batch during a master-key rotation.
    public var rewrapBatch: Int
    /// Time between page-level integrity checks of the database (`IntegrityCheckService`).
    public var integrityCheckInterval: Duration = .seconds(6 * 3600)
    /// Time between retention sweeps.
    public var retentionInterval: Duration = .seconds(86_400)
    /// Lookups per principal per minute (bursts up to the same number); more answer 429.
    public var lookupsPerMinute = 600
    /// A request must arrive whole within this time of the connection opening or of the previous
    /// response; slower clients are disconnected (slowloris).
    public var requestTimeout: Duration = .seconds(20)
    /// How often a replica looks for a policy version applied through another replica; nil
    /// (SQLite: one vaultd owns the data directory) means nobody else can apply one.
    public var policyRefreshInterval: Duration?
    /// Serve `GET /bench/bare`, the benchmark's baseline route, and the view's steps under
    /// `/v1/bench/` (`BenchFloorController`); never in production.
    public var benchRoutes = false
    /// Every source's ingest answers say `created`, `linked` or `merged` with the subject id,
    /// whatever sources.yaml says (`OutcomeDisclosure`): the demo's tour; never in production.
    public var revealOutcomes = false
    /// PEM certificate chain and private key files; nil serves plain HTTP (behind a proxy).
    public var tls: (certificateChain: String, privateKey: String)?
    public init(host: String = "127.0.0.1", port: Int = 8420, anchorInterval: Duration = .seconds(60), rewrapBatch: Int = 500) {
        self.host = host
        self.port = port
        self.anchorInterval = anchorInterval
        self.rewrapBatch = rewrapBatch
    }
}

/// The production router; tests drive this same router in process.
public func buildRouter(
    vault: ProfileVault, metrics: VaultMetrics = VaultMetrics(), lookupsPerMinute: Int = 600,
    benchRoutes: Bool = false, secureCookies: Bool = false, revealOutcomes: Bool = false
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ProblemMiddleware(metrics: metrics))
    HealthController(audit: vault.audit, integrity: vault.integrity).register(on: router)
    router.get("/metrics") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: await metrics.exposition(vault: vault))))
    }
    let anonymous = AnonymousDenials()
    let v1 = router.group("/v1").add(middleware: AuthenticationMiddleware(tokens: vault.tokens, audit: vault.audit, anonymous: anonymous))
    AuditController(vault: vault).register(on: v1)
    ConsentsController(vault: vault).register(on: v1)
    PoliciesController(vault: vault).register(on: v1)
    let lookupLimiter = RateLimiter(perMinute: lookupsPerMinute)
    SegmentsController(vault: vault, lookupLimiter: lookupLimiter).register(on: v1)
    RequestsController(vault: vault).register(on: v1)
    OutboxController(vault: vault).register(on: v1)
    KeysController(vault: vault).register(on: v1)
    WhoAmIController(vault: vault).register(on: v1)
    SourcesController(vault: vault, metrics: metrics, revealOutcomes: revealOutcomes).register(on: v1)
    SubjectsController(vault: vault, metrics: metrics, lookupLimiter: lookupLimiter).register(on: v1)
    TokensController(vault: vault, metrics: metrics).register(on: v1)
    if benchRoutes { BenchFloorController(vault: vault).register(on: v1) }
    ConsoleController(vault: vault, secure: secureCookies, metrics: metrics, anonymous: anonymous).register(on: router)
    if benchRoutes { BenchController().register(on: router) }
    return router
}

/// The application: HTTP server plus (later) background services, in one service group
/// that shuts down gracefully on SIGINT/SIGTERM.
public func buildApplication(
    vault: ProfileVault, configuration: ServerConfiguration, logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let metrics = VaultMetrics()
    vault.audit.observer.set { metrics.auditAppended($0) }
    return Application(
        router: buildRouter(
            vault: vault, metrics: metrics, lookupsPerMinute: configuration.lookupsPerMinute, benchRoutes: configuration.benchRoutes,
            secureCookies: configuration.tls != nil, revealOutcomes: configuration.revealOutcomes),
        server: try serverBuilder(configuration),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "vaultd"),
        services: [
            AuditCheckpointService(audit: vault.audit, interval: configuration.anchorInterval, logger: logger),
            KeyRewrapService(rotation: vault.rotation, batchSize: configuration.rewrapBatch, logger: logger),
            RetentionSweepService(retention: vault.retention, interval: configuration.retentionInterval, logger: logger),
            IntegrityCheckService(vault: vault, interval: configuration.integrityCheckInterval, logger: logger),
        ]
            + (configuration.policyRefreshInterval.map { [PolicyRefreshService(policies: vault.policyService, interval: $0, logger: logger)] } ?? []),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// Plain HTTP/1.1, or TLS from PEM files. The private key file must not be readable by group
/// or others, like the master key. Headers are bounded (16 KiB a field, 32 KiB in all, 100
/// fields; larger answer 431) and slow requests are cut off (`requestTimeout`).
func serverBuilder(_ configuration: ServerConfiguration) throws -> HTTPServerBuilder {
    let timeout = TimeAmount.nanoseconds(
        Int64(configuration.requestTimeout.components.seconds) * 1_000_000_000
            + configuration.requestTimeout.components.attoseconds / 1_000_000_000)
    let http1 = HTTPServerBuilder.http1(
        configuration: .init(
            additionalChannelHandlers: [RequestDeadlineHandler(timeout: timeout)],
            httpDecoderConfiguration: .init(maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 32 * 1024, maxHeaderFieldCount: 100)))
    guard let tls = configuration.tls else { return http1 }
    var info = stat()
    guard stat(tls.privateKey, &info) == 0 else { throw TLSSetupError.unreadable(tls.privateKey) }
    guard info.st_mode & 0o077 == 0 else { throw TLSSetupError.tooPermissive(tls.privateKey) }
    do {
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChain).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)
        return try .tls(http1, tlsConfiguration: TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
    } catch {
        throw TLSSetupError.unreadable(tls.certificateChain)
    }
}

public enum TLSSetupError: Error, CustomStringConvertible {
    case unreadable(String)
    case tooPermissive(String)
    public var description: String {
        switch self {
        case .unreadable(let path): "cannot load the TLS certificate or key from \(path)"
        case .tooPermissive(let path): "refusing to start: the TLS private key \(path) is readable by group or others (chmod 600)"
        }
    }
}

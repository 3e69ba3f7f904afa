import Foundation
import PostgresNIO

/// Where the PostgreSQL database is: parsed from `postgres://user[:password]@host[:port]/database[?sslmode=…]`.
///
/// The password never appears in `description` (vaultd prints where it stores data).
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let username: String
    let password: String?
    public let database: String
    public let sslMode: String

    public enum ParseError: Error, CustomStringConvertible {
        case malformed(String)
        public var description: String {
            switch self {
            case .malformed(let why): "the database URL is not usable: \(why)"
            }
        }
    }

    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// `password` (from the environment) is used when the URL carries none.
    public init(url text: String, password environmentPassword: String? = nil) throws {
        guard Self.isPostgresURL(text), let components = URLComponents(string: text) else {
            throw ParseError.malformed("expected postgres://user@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else { throw ParseError.malformed("no host") }
        guard let user = components.user, !user.isEmpty else { throw ParseError.malformed("no user name") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw ParseError.malformed("no database name") }
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard ["disable", "prefer", "require"].contains(mode) else {
            throw ParseError.malformed("sslmode must be disable, prefer or require")
        }
        self.host = host
        port = components.port ?? 5432
        username = user.removingPercentEncoding ?? user
        password = components.password.map { $0.removingPercentEncoding ?? $0 } ?? environmentPassword
        self.database = database.removingPercentEncoding ?? database
        sslMode = mode
    }

    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(sslMode)"
    }

    /// The same server, another database (tests create one per vault).
    public func with(database: String) -> PostgresLocation {
        PostgresLocation(host: host, port: port, username: username, password: password, database: database, sslMode: sslMode)
    }

    private init(host: String, port: Int, username: String, password: String?, database: String, sslMode: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sslMode = sslMode
    }

    func clientConfiguration(maximumConnections: Int) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch sslMode {
            case "disable": .disable
            case "require": .require(.makeClientConfiguration())
            default: .prefer(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password,
            database: database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}

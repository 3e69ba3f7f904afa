import Foundation
import Logging
import NIOCore
import PostgresNIO
import Storage

/// One leased connection during a unit of work, with the few typed calls the store needs.
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs a statement; returns the number of rows it changed (or returned).
    @discardableResult
    func execute(_ query: PostgresQuery) async throws -> Int {
        try await connection.query(query, logger: logger).get().metadata.rows ?? 0
    }

    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await connection.query(query, logger: logger).get().rows.map { $0.makeRandomAccess() }
    }

    func row(_ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        try await rows(query).first
    }

    /// The first column of every row.
    func column<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self) async throws -> [T] {
        try await rows(query).map { try $0[0].decode(T.self) }
    }

    func exists(_ query: PostgresQuery) async throws -> Bool {
        try await row(query) != nil
    }
}

extension PostgresRandomAccessRow {
    func get<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    func bytes(_ column: String) throws -> [UInt8] {
        Array(try self[column].decode(ByteBuffer.self).readableBytesView)
    }

    func optionalBytes(_ column: String) throws -> [UInt8]? {
        try self[column].decode(ByteBuffer?.self).map { Array($0.readableBytesView) }
    }

    func date(_ column: String) throws -> Date { PostgresVaultStore.date(try get(column, as: Int64.self)) }

    func optionalDate(_ column: String) throws -> Date? { try get(column, as: Int64?.self).map(PostgresVaultStore.date) }
}

/// Bytes bound as `bytea`.
func bytea(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

/// A PostgreSQL failure as callers see it: the SQLSTATE class only, never the server's
/// message (which can quote the value of a failed constraint).
public struct PostgresStoreError: Error, CustomStringConvertible, StorageFailureReporting {
    public let sqlState: String?
    public let storageFailure: StorageFailure?

    init(_ error: PSQLError) {
        sqlState = error.serverInfo?[.sqlState]
        storageFailure = Self.classify(code: error.code, sqlState: sqlState)
    }

    static func classify(code: PSQLError.Code, sqlState: String?) -> StorageFailure? {
        guard code == .server, let sqlState else {
            // Connection refused, closed, pool shut down, timeouts: the database is not reachable now.
            return .unavailable
        }
        switch sqlState {
        case "XX001", "XX002": return .corrupt  // data_corrupted, index_corrupted
        case _ where sqlState.hasPrefix("53"): return .unavailable  // disk full, out of memory, too many connections
        case _ where sqlState.hasPrefix("08"): return .unavailable  // connection exceptions
        case _ where sqlState.hasPrefix("57P"): return .unavailable  // shutting down, cannot connect now
        case "40001", "40P01", "55P03", "25006": return .unavailable  // serialization, deadlock, lock timeout, read-only
        default: return nil
        }
    }

    public var description: String {
        "PostgreSQL refused the operation (SQLSTATE \(sqlState ?? "none, connection failed"))"
    }

    var isUniqueViolation: Bool { sqlState == "23505" }
}

/// A WHERE clause built from optional filters, each condition's `?` bound as the next `$n`.
struct FilterClause {
    private(set) var conditions: [String] = []
    private(set) var binds = PostgresBindings()

    mutating func add(_ condition: String, _ value: some PostgresDynamicTypeEncodable) {
        binds.append(value)
        conditions.append(condition.replacingOccurrences(of: "?", with: "$\(binds.count)"))
    }

    /// A condition without a parameter.
    mutating func add(_ condition: String) { conditions.append(condition) }

    var sql: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }
}

import Foundation
import GRDB
import PostgresNIO
import Requests
import Storage
import Testing
import VaultCrypto
import VaultModel
import VaultTestSupport

@testable import Vault

/// What officers write on a data-subject request may name the person: it is stored sealed
/// and goes with the person's erasure (`RequestFreeText`). On both stores.
@Suite("Request free text: sealed in the store, erased with the person")
struct RequestFreeTextTests {
    static let method = "called back 415-555-0100, Mr Zanzibar"
    static let reason = "Mr Zanzibar asked for more time"

    /// The free-text columns of every request, as the database holds them.
    static func stored(_ t: TemporaryVault) async throws -> [String] {
        let sql = "SELECT verification_method, rejected_reason, extension_reason FROM requests"
        switch t.backend {
        case .postgres:
            let connection = try await TestPostgres.connect(to: try #require(t.postgres))
            defer { Task { try? await connection.close() } }
            var values: [String] = []
            for try await (a, b, c) in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestPostgres.logger)
                .decode((String?, String?, String?).self)
            { values += [a, b, c].compactMap { $0 } }
            return values
        case .sqlite:
            let queue = try DatabaseQueue(path: t.databasePath)
            defer { try? queue.close() }
            return try await queue.read { db in try Row.fetchAll(db, sql: sql).flatMap { row in (0..<3).compactMap { row[$0] as String? } } }
        }
    }

    static func open(_ t: TemporaryVault, _ kind: RequestKind, _ subject: SubjectID) async throws -> RequestRecord {
        try await t.vault.requests.open(.init(kind: kind, regulation: .gdpr, subjectID: subject, identifiers: nil, receivedAt: nil), caller: tester)
    }

    @Test(
        "free text is sealed in the store, plain to officers, and cleared from every request about the person by the erasure",
        arguments: StorageBackend.allCases)
    func sealedThenErased(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let subject = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "zan@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        let access = try await Self.open(t, .access, subject)
        _ = try await t.vault.requests.extend(access.id, reason: Self.reason, caller: tester)
        _ = try await t.vault.requests.reject(access.id, reason: Self.reason, caller: tester)
        let erasure = try await Self.open(t, .erasure, subject)
        _ = try await t.vault.requests.verify(erasure.id, method: Self.method, caller: tester)

        let columns = try await Self.stored(t)
        #expect(columns.count == 3 && columns.allSatisfy { $0.hasPrefix("pv-sealed:v1:") }, "\(columns.count) values, all sealed")
        #expect(!columns.contains { $0.contains("Zanzibar") })
        #expect(try await t.vault.requests.get(erasure.id, caller: tester).verificationMethod == Self.method)
        let read = try await t.vault.requests.get(access.id, caller: tester)
        #expect(read.extensionReason == Self.reason && read.rejectedReason == Self.reason)

        _ = try await t.vault.requests.execute(erasure.id, caller: tester)
        #expect(try await Self.stored(t).isEmpty, "the erasure cleared what was written on every request about the person")
        #expect(try await t.vault.requests.get(access.id, caller: tester).rejectedReason == nil)
    }

    @Test(
        "free text written before sealing is sealed at the next start; a sealed text moved to another request fails to open",
        arguments: StorageBackend.allCases)
    func legacyTextSealedAndMovesRefused(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let subject = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "zan@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        let first = try await Self.open(t, .access, subject)
        let second = try await Self.open(t, .access, subject)
        _ = try await t.vault.requests.verify(first.id, method: Self.method, caller: tester)
        // As the release before sealing wrote it.
        try await RowTagTests.behindTheStore(t, "UPDATE requests SET verification_method = 'in the clear, Mr Zanzibar' WHERE verification_method IS NOT NULL")
        let reopened = try await t.reopen()
        #expect(try await Self.stored(t).allSatisfy { $0.hasPrefix("pv-sealed:v1:") })
        #expect(try await reopened.requests.get(first.id, caller: tester).verificationMethod == "in the clear, Mr Zanzibar")

        try await RowTagTests.behindTheStore(
            t,
            """
            UPDATE requests SET verification_method = (SELECT verification_method FROM requests WHERE request_id = '\(first.id.uuidString.lowercased())')
            WHERE request_id = '\(second.id.uuidString.lowercased())'
            """)
        await #expect(throws: CryptoError.self) { try await reopened.requests.get(second.id, caller: tester) }
    }
}

import Foundation

/// Figures a compliance officer reports to the DPO that no single request shows: how many
/// suppression entries keep erased people from coming back, and how many notices to sources
/// are still unacknowledged. Counts only: no blind index or subject leaves the store.
public struct ComplianceFigures: Sendable, Equatable {
    /// Suppression entries (blind indexes of erased people's identifiers and source keys).
    public let suppressions: Int
    /// Outbox notices (erasure, rectification, restriction) no source has acknowledged yet.
    public let pendingNotices: Int

    public init(suppressions: Int, pendingNotices: Int) {
        self.suppressions = suppressions
        self.pendingNotices = pendingNotices
    }
}

extension RequestStore {
    /// A store without a counting query derives the figures from completed requests: their
    /// notices, and the suppression counts their signed erasure receipts state. Stores
    /// override it with one query (`SQLiteVaultStore`).
    public func complianceFigures() async throws -> ComplianceFigures {
        var filter = RequestFilter()
        filter.status = .completed
        var suppressions = 0
        var pending = 0
        for request in try await requests(filter) {
            pending += try await outbox(request: request.id).filter { $0.ackedAt == nil }.count
            suppressions += Self.suppressedIdentifiers(inReceipt: request.receipt)
        }
        return ComplianceFigures(suppressions: suppressions, pendingNotices: pending)
    }

    static func suppressedIdentifiers(inReceipt text: String?) -> Int {
        guard let text, let stored = try? JSONDecoder().decode(StoredReceipt.self, from: Data(text.utf8)),
            let signed = try? JSONDecoder().decode(StoredReceipt.Signed.self, from: Data(stored.signed.utf8))
        else { return 0 }
        return signed.suppressed_identifiers
    }
}

/// The members of a stored erasure receipt that the default `complianceFigures()` reads.
private struct StoredReceipt: Decodable {
    struct Signed: Decodable { let suppressed_identifiers: Int }
    let signed: String
}

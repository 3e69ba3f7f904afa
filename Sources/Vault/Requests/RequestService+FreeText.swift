import Foundation
import Requests
import Storage

/// Every read and write of a request goes through here, so its free text is sealed in the
/// store and plain in memory (`RequestFreeText`), and its row carries its tag
/// (`RowAuthenticator`): a request whose status, dates or receipt were changed in the
/// database is never served.
extension RequestService {
    var freeText: RequestFreeText { RequestFreeText(key: keys.holdKey) }

    func authenticated(_ record: RequestRecord) throws -> RequestRecord {
        guard keys.rows.verify(record) else { throw RowIntegrityError.request }
        return try freeText.opened(record)
    }

    func tagged(_ record: RequestRecord) throws -> RequestRecord {
        var r = try freeText.sealed(record)
        r.mac = keys.rows.tag(r)
        return r
    }

    func storedRequest(id: UUID) async throws -> RequestRecord? {
        try await store.request(id: id).map(authenticated)
    }

    /// The due dates of requests not completed or rejected, for the gauges: counts only, so the
    /// rows are neither audited nor opened (their sealed free text stays sealed).
    public func openRequestDueDates() async throws -> [Date] {
        var filter = RequestFilter()
        filter.openOnly = true
        return try await store.requests(filter).map(\.effectiveDue)
    }

    /// The dashboard's figures (counts and durations only).
    public func complianceFigures() async throws -> ComplianceFigures { try await store.complianceFigures() }

    /// The notices a request sent to sources, and whether each was acknowledged.
    public func notices(of request: UUID) async throws -> [OutboxNotice] { try await store.outbox(request: request) }

    func storedRequests(_ filter: RequestFilter) async throws -> [RequestRecord] {
        try await store.requests(filter).map(authenticated)
    }

    func updateStoredRequest(_ record: RequestRecord, expectedStatus: RequestStatus, audit: AuditWrite) async throws -> Bool {
        try await store.updateRequest(try tagged(record), expectedStatus: expectedStatus, audit: audit)
    }

    func insertStoredRequest(_ record: RequestRecord, audit: AuditWrite) async throws {
        try await store.insertRequest(try tagged(record), audit: audit)
    }

    /// Seals the free text that requests written before sealing existed still hold in the
    /// clear; run at start. Returns how many requests it sealed.
    @discardableResult
    public func sealClearFreeText() async throws -> Int {
        var sealed = 0
        for record in try await store.requests(RequestFilter()) where RequestFreeText.hasClearText(record) && keys.rows.verify(record) {
            let audit = write(.system("upgrade"), "request.seal_text", record, detail: "free text sealed (written before sealing)")
            if try await store.updateRequest(try freeText.sealedClearText(record), expectedStatus: record.status, audit: audit) { sealed += 1 }
        }
        return sealed
    }
}

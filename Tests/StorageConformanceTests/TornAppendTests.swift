import Foundation
import Testing
import VaultTestSupport

@testable import Vault

/// A crash inside an append to the erasure ledger or the anchors file leaves a torn last line.
/// Its append never returned, so nothing acted on it; the vault must start, drop it, and keep
/// every complete entry.
@Suite("Torn last lines of the append-only files")
struct TornAppendTests {
    @Test("a torn last ledger line is dropped at start; complete entries are kept and replayed")
    func tornLedgerTail() async throws {
        let t = try await TemporaryVault.make()
        defer { t.remove() }
        let ledger = t.vault.requests.ledger
        try ledger.append(
            .init(
                request_id: UUID().uuidString.lowercased(), subject_id: UUID().uuidString.lowercased(), key_owners: [],
                at: "2026-11-24T00:00:00Z"))
        let handle = try FileHandle(forWritingTo: ledger.file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"at":"2026-11-24T00:0"#.utf8))
        try handle.close()
        #expect(throws: ErasureLedgerError.self) { _ = try ledger.entries() }

        let reopened = try await t.reopen()
        let text = try String(contentsOf: ledger.file, encoding: .utf8)
        #expect(text.hasSuffix("}\n") && !text.contains(#"2026-11-24T00:0""#))
        #expect(try reopened.requests.ledger.entries().count == 1)
        try reopened.requests.ledger.append(.init(request_id: "r", subject_id: "s", key_owners: [], at: "2026-11-24T00:00:01Z"))
        #expect(try reopened.requests.ledger.entries().count == 2, "the next entry starts on a line of its own")
    }

    @Test("a file ending in a complete line is left alone")
    func completeFileUntouched() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pv-append-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("{\"a\":1}\n".utf8).write(to: file)
        #expect(try AppendOnlyFile.dropTornTail(of: file) == false)
        #expect(try Data(contentsOf: file) == Data("{\"a\":1}\n".utf8))
        #expect(try AppendOnlyFile.dropTornTail(of: file.appendingPathExtension("missing")) == false)
    }
}

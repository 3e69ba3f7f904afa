import Foundation
import Testing

/// `vaultctl import` refuses a file it would otherwise change: values are stored as written or
/// not at all. These refusals come before anything is sent, so no vaultd is needed.
@Suite("vaultctl import: files refused, not repaired")
struct ImportFileProcessTests {
    static func importing(_ contents: Data, named name: String) throws -> (status: Int32, out: String, err: String) {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(name)
        try contents.write(to: file)
        return try vaultctl(["import", "--source", "crm", file.path], address: "http://127.0.0.1:1", token: "unused")
    }

    @Test("a file that is not UTF-8 (Latin-1 José) is refused with exit 65")
    func notUTF8() throws {
        let latin1 = Data("key,first_name\nc1,Jos".utf8) + Data([0xE9]) + Data("\n".utf8)
        let result = try Self.importing(latin1, named: "people.csv")
        #expect(result.status == 65 && result.err.contains("not UTF-8"), "\(result)")
    }

    @Test("a CSV row with more cells than the header (an unquoted comma) is refused, naming its line")
    func shiftedCells() throws {
        let csv = Data("key,email,street_address,city\nc1,a@example.com,1 Main St, Apt 2,Springfield\n".utf8)
        let result = try Self.importing(csv, named: "people.csv")
        #expect(result.status == 65 && result.err.contains("line 2 has 5 cells"), "\(result)")
    }

    @Test("a CSV header naming a column twice is refused")
    func repeatedColumn() throws {
        let result = try Self.importing(Data("key,email,email\nc1,a@example.com,b@example.com\n".utf8), named: "people.csv")
        #expect(result.status == 65 && result.err.contains("twice"), "\(result)")
    }

    @Test("a JSON line repeating a member name is refused, naming its line")
    func repeatedMember() throws {
        let lines =
            Data(#"{"key": "c1", "fields": {"email": "a@example.com"}}"#.utf8) + Data("\n".utf8)
            + Data(#"{"key": "c2", "fields": {"email": "b@example.com", "email": "c@example.com"}}"#.utf8)
        let result = try Self.importing(lines, named: "people.jsonl")
        #expect(result.status == 65 && result.err.contains("line 2 repeats a member name"), "\(result)")
    }
}

import CSV
import Foundation
import VaultModel

/// Records read from an import file, each with the line it came from (for error reports).
struct ImportFile {
    struct Entry {
        let line: Int
        let record: JSONValue
    }
    let entries: [Entry]

    /// JSON Lines (one record per line, shaped as in the ingest API) or CSV (a header row of
    /// `key`, optional `observed_at`, then field names; empty cells are left out).
    static func read(path: String) throws -> ImportFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure.noInput(FileManager.default.fileExists(atPath: path) ? "cannot read \(path)" : "\(path) does not exist")
        }
        // Refused, not repaired: decoding would turn each invalid byte into U+FFFD and store a
        // changed value (a Latin-1 "José" as "Jos�").
        guard let text = String(validating: data, as: UTF8.self) else {
            throw Failure.invalidInput("\(path) is not UTF-8 text (convert it first, e.g. iconv -f latin1 -t utf-8)")
        }
        if path.lowercased().hasSuffix(".csv") { return try csv(text) }
        return try jsonLines(text)
    }

    static func jsonLines(_ text: String) throws -> ImportFile {
        var entries: [Entry] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let value: JSONValue
            do { value = try JSONParser.parse(Array(trimmed.utf8)) } catch .repeatedMember {
                throw Failure.invalidInput("line \(offset + 1) repeats a member name in an object")
            } catch { throw Failure.invalidInput("line \(offset + 1) is not a JSON object") }
            guard case .object = value else { throw Failure.invalidInput("line \(offset + 1) is not a JSON object") }
            entries.append(Entry(line: offset + 1, record: value))
        }
        return ImportFile(entries: entries)
    }

    static func csv(_ text: String) throws -> ImportFile {
        let reader: CSVReader
        do { reader = try CSVReader(string: text, hasHeaderRow: true) } catch { throw Failure.invalidInput("the CSV file can't be parsed") }
        guard let header = reader.headerRow, header.contains("key") else { throw Failure.invalidInput("the CSV header must have a key column") }
        guard Set(header).count == header.count else { throw Failure.invalidInput("the CSV header names a column twice") }
        var entries: [Entry] = []
        var line = 1
        while let row = reader.next() {
            line += 1
            // A row with more or fewer cells than the header (an unquoted comma in a value) would
            // shift values into other columns or drop them.
            guard row.count == header.count else {
                throw Failure.invalidInput("line \(line) has \(row.count) cells where the header has \(header.count) (quote values that contain commas)")
            }
            var fields: [String: JSONValue] = [:]
            var object: [String: JSONValue] = [:]
            for (column, cell) in zip(header, row) where !cell.isEmpty {
                switch column {
                case "key": object["key"] = .string(cell)
                case "observed_at": object["observed_at"] = .string(cell)
                default: fields[column] = .string(cell)
                }
            }
            object["fields"] = .object(fields)
            entries.append(Entry(line: line, record: .object(object)))
        }
        if let error = reader.error {
            _ = error
            throw Failure.invalidInput("the CSV file is malformed near line \(line + 1)")
        }
        return ImportFile(entries: entries)
    }
}

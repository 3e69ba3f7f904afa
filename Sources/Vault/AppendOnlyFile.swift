import Foundation

/// Appends one line to a file outside the database (created 0600) and fsyncs it before
/// returning: the audit anchors and the erasure ledger must survive a crash right after.
enum AppendOnlyFile {
    struct Unwritable: Error {}

    static func append<T: Encodable>(_ value: T, to file: URL) throws {
        var line = try JSONEncoder.sorted.encode(value)
        line.append(0x0a)
        let fd = open(file.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw Unwritable() }
        defer { close(fd) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else { throw Unwritable() }
    }

    /// Cuts a torn last line (a crash inside `append`, before its newline reached the disk).
    /// Its append never returned, so nothing acted on it (an erasure runs only after its ledger
    /// entry is written); left in place it made the file unreadable and glued the next line to
    /// it. Called at start, before the file is read or appended to. Returns whether it cut.
    @discardableResult
    static func dropTornTail(of file: URL) throws -> Bool {
        guard let data = FileManager.default.contents(atPath: file.path), let last = data.last, last != 0x0a else { return false }
        let keep = data.lastIndex(of: 0x0a).map { $0 + 1 } ?? 0
        guard truncate(file.path, off_t(keep)) == 0 else { throw Unwritable() }
        let fd = open(file.path, O_WRONLY)
        guard fd >= 0 else { throw Unwritable() }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Unwritable() }
        return true
    }
}

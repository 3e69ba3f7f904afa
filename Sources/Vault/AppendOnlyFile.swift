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
        let fd = open(file.path, O_RDWR)
        guard fd >= 0 else { return false }  // no file yet
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return false }
        // Only the end is read: the ledger grows with every erasure, and a line is far shorter
        // than the window. No newline in a full window is not a torn line: left for the reader.
        let window = min(size, 64 * 1024)
        var tail = [UInt8](repeating: 0, count: Int(window))
        guard pread(fd, &tail, tail.count, size - window) == tail.count else { throw Unwritable() }
        guard tail.last != 0x0a else { return false }
        guard let newline = tail.lastIndex(of: 0x0a) ?? (window == size ? -1 : nil) else { return false }
        let keep = size - window + off_t(newline) + 1
        guard ftruncate(fd, keep) == 0, fsync(fd) == 0 else { throw Unwritable() }
        return true
    }
}

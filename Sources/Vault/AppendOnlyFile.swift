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
}

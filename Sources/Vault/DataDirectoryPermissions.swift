import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The data directory holds the ciphertext, the erasure ledger, the audit anchors and (by
/// default) the master key: nobody but vaultd's user may list or read it. A directory
/// group or others can enter is refused at start, like a readable key file; the files vaultd
/// writes there are made 0600 whatever the umask.
public enum DataDirectoryPermissions {
    public static func check(_ directory: URL) throws {
        var info = stat()
        guard stat(directory.path, &info) == 0 else { return }
        guard info.st_mode & 0o077 == 0 else {
            throw DataDirectoryError.tooPermissive(directory.path, mode: String(info.st_mode & 0o777, radix: 8))
        }
    }

    /// Makes each existing file of `names` in `directory` 0600 (SQLite creates its files with
    /// the process umask, 0644 by default).
    public static func restrict(_ names: [String], in directory: URL) {
        for name in names {
            let path = directory.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: path) { _ = chmod(path, 0o600) }
        }
    }
}

public enum DataDirectoryError: Error, CustomStringConvertible, Sendable {
    case tooPermissive(String, mode: String)
    public var description: String {
        switch self {
        case .tooPermissive(let path, let mode):
            "refusing to start: the data directory \(path) has mode \(mode); it must not be open to group or others (chmod 700)"
        }
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a data directory (`vaultd.lock`, flock), held by vaultd for its
/// whole life: a second vaultd on the same directory, or a restore under a running one,
/// is refused instead of corrupting it. The kernel releases it when the process dies.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    public static func path(in directory: URL) -> String { directory.appendingPathComponent("vaultd.lock").path }

    /// Takes the lock, or throws `DataDirectoryLockError.held`.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = open(Self.path(in: directory), O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else { throw errno == EROFS ? DataDirectoryLockError.readOnly : DataDirectoryLockError.unavailable }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw DataDirectoryLockError.held
        }
        descriptor = fd
    }

    deinit { close(descriptor) }
}

public enum DataDirectoryLockError: Error, CustomStringConvertible, Sendable {
    case held, unavailable, readOnly
    public var description: String {
        switch self {
        case .held: "another vaultd is using this data directory"
        case .unavailable: "cannot create the data directory lock file"
        case .readOnly: "the data directory is on a read-only file system; vaultd needs to write there"
        }
    }
}

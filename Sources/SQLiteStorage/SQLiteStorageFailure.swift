import GRDB
import Storage

/// What an SQLite result code means for a caller: the disk is full, read-only, failing or
/// locked (retry later), or the file is damaged (restore it); other codes are the caller's.
extension DatabaseError: StorageFailureReporting {
    public var storageFailure: StorageFailure? {
        switch resultCode {
        case .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_NOMEM, .SQLITE_PROTOCOL:
            .unavailable
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            .corrupt
        default:
            nil
        }
    }
}

import CHardening
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Keeps key material out of core dumps: no core files, and not dumpable by ptrace peers.
enum ProcessHardening {
    /// Files and directories vaultd creates (the database, its WAL, backups) are its user's
    /// alone, whatever umask it was started with.
    static func restrictCreatedFiles() {
        _ = umask(0o077)
    }

    static func disableCoreDumps() {
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &limit)
        _ = pv_disable_dumpable()
    }

    /// Dies at once, like `kill -9`: no cleanup, no flush (fault-injection tests only).
    static func crash() -> Never {
        kill(getpid(), SIGKILL)
        fatalError("unreachable")
    }
}

/// Lines for the operator on standard output, written at once (no buffering), so a
/// supervisor or a test reading the pipe sees them as they happen.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Why a command failed, in one sentence on standard error.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whether vaultd can listen where it was told to, checked before anything is opened or
/// printed: a first `--demo` start on a busy port used to seed the demo, print its tokens once,
/// and only then fail to bind, so the tokens were lost.
enum PortCheck {
    /// nil when `host:port` can be bound now (port 0 always can); otherwise why not, in one sentence.
    static func problem(host: String, port: Int) -> String? {
        guard port != 0 else { return nil }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            return "the address \(host) does not resolve; pass --host"
        }
        defer { freeaddrinfo(results) }
        let socket = Glibc.socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard socket >= 0 else { return nil }  // can't even try: let the server say why
        defer { close(socket) }
        var yes: Int32 = 1
        // As the server binds: a port in TIME_WAIT after a restart is free.
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(socket, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 else { return nil }
        switch errno {
        case EADDRINUSE: return "port \(port) on \(host) is in use by another process; stop it or pass --port"
        case EACCES: return "port \(port) needs privileges vaultd does not have; pass --port with a port above 1023"
        case EADDRNOTAVAIL: return "\(host) is not an address of this machine; pass --host"
        default: return nil
        }
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to 127.0.0.1 that writes exactly the bytes given, for slow clients,
/// oversized headers and garbage that no HTTP library would send.
final class RawSocket: @unchecked Sendable {
    // @unchecked: one test task owns each socket.
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw SocketError.connect(errno)
        }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var noSignal: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_KEEPALIVE, &noSignal, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(descriptor) }

    /// false once the peer has closed the connection.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// What arrives within about a second; nil when the peer closed the connection and nothing is left.
    func read() -> String? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        if count == 0 { return nil }
        if count < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? "" : nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// Reads until the peer closes or `limit` passes; true if it closed.
    func waitForClose(within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if read() == nil { return true }
        }
        return false
    }

    enum SocketError: Error { case connect(Int32) }
}

import COpenSSL
import Glibc
import Synchronization

/// The OpenSSL CSPRNG, for nonces, identifiers and tokens.
public enum SecureRandom {
    public static func bytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        if count == 0 { return out }
        let ok = out.withUnsafeMutableBytes { RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) }
        guard ok == 1 else { throw CryptoError.randomFailed }
        return out
    }
}

/// GCM nonces from a buffer refilled by one `RAND_bytes` call.
///
/// A `RAND_bytes` call costs ≈ 1.2 µs whatever its size up to a few KiB (locking and DRBG
/// bookkeeping), and ingest seals about six values per record. Each buffered byte is handed
/// out once, so the nonces are the same CSPRNG output as one call per nonce would give. A
/// forked child refills first: it must not hand out the nonces its parent will also use.
final class NoncePool: Sendable {
    static let shared = NoncePool()
    /// 340 nonces of 12 bytes per refill.
    static let refillCount = 4080

    private struct State {
        var bytes: [UInt8] = []
        var next = 0
        var process: pid_t = 0
    }
    private let state = Mutex(State())

    func bytes(_ count: Int) throws -> [UInt8] {
        precondition(count <= Self.refillCount)
        return try state.withLock { state throws(CryptoError) -> [UInt8] in
            let process = getpid()
            if state.next + count > state.bytes.count || state.process != process {
                do { state.bytes = try SecureRandom.bytes(Self.refillCount) } catch { throw CryptoError.randomFailed }
                state.next = 0
                state.process = process
            }
            defer { state.next += count }
            return Array(state.bytes[state.next..<state.next + count])
        }
    }
}

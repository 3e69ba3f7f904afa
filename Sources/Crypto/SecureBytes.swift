import COpenSSL

/// Secret bytes (keys) held outside Swift's copy-on-write arrays so they can be wiped.
///
/// `[UInt8]` may be silently copied and the copies can't be zeroed; this class owns one raw
/// buffer and calls `OPENSSL_cleanse` on it when the last reference goes away.
/// It is `@unchecked Sendable` because the buffer is written only in `init` and read-only after.
public final class SecureBytes: @unchecked Sendable {
    private let buffer: UnsafeMutableRawBufferPointer

    public var count: Int { buffer.count }

    /// Copies `bytes`; the caller should drop its own copy as soon as it can.
    public init<Bytes: Collection>(copying bytes: Bytes) where Bytes.Element == UInt8 {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        var index = 0
        for byte in bytes {
            buffer[index] = byte
            index += 1
        }
        self.usedCount = bytes.count
    }

    /// `count` fresh random bytes from the OpenSSL CSPRNG.
    public init(randomCount: Int) throws {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(randomCount, 1), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        self.usedCount = randomCount
        if randomCount > 0 {
            guard RAND_bytes(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(randomCount)) == 1 else {
                OPENSSL_cleanse(buffer.baseAddress, buffer.count)
                buffer.deallocate()
                throw CryptoError.randomFailed
            }
        }
    }

    private let usedCount: Int

    /// Read access to the secret; don't let the pointer escape the closure.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: buffer[0..<usedCount]))
    }

    /// The bytes as an array: only for wrapping/persisting ciphertext-adjacent material in tests.
    public var unsafeArray: [UInt8] { withUnsafeBytes { Array($0) } }

    deinit {
        OPENSSL_cleanse(buffer.baseAddress, buffer.count)
        buffer.deallocate()
    }
}

extension SecureBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "<secret \(usedCount) bytes>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension SecureBytes: Equatable {
    /// Constant-time equality: comparing secrets must not leak where they differ.
    public static func == (lhs: SecureBytes, rhs: SecureBytes) -> Bool {
        lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in ConstantTime.equals(a, b) } }
    }
}

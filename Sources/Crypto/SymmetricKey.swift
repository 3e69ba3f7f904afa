/// A 256-bit symmetric key (AES-256 or HMAC-SHA256), wiped from memory when released.
public struct SymmetricKey: Sendable, Equatable {
    public static let byteCount = 32
    public let secret: SecureBytes

    public init(secret: SecureBytes) throws {
        guard secret.count == Self.byteCount else {
            throw CryptoError.invalidKeyLength(expected: Self.byteCount, actual: secret.count)
        }
        self.secret = secret
    }

    public init<Bytes: Collection>(copying bytes: Bytes) throws where Bytes.Element == UInt8 {
        try self.init(secret: SecureBytes(copying: bytes))
    }

    /// A fresh random key.
    public static func generate() throws -> SymmetricKey {
        try SymmetricKey(secret: SecureBytes(randomCount: byteCount))
    }
}

extension SymmetricKey: CustomStringConvertible {
    public var description: String { "<key>" }
}

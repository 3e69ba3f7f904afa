/// Failures of the cryptographic layer. Descriptions never contain key or plaintext bytes.
public enum CryptoError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The ciphertext, its tag or its associated data don't match: tampered, swapped or wrong key.
    case authenticationFailed
    case invalidKeyLength(expected: Int, actual: Int)
    case malformedCiphertext
    case randomFailed
    case openSSLFailure(operation: String)

    public var description: String {
        switch self {
        case .authenticationFailed: "authentication failed (wrong key, tampered or misplaced ciphertext)"
        case .invalidKeyLength(let expected, let actual): "invalid key length: expected \(expected) bytes, got \(actual)"
        case .malformedCiphertext: "malformed ciphertext"
        case .randomFailed: "the system random generator failed"
        case .openSSLFailure(let operation): "OpenSSL failure in \(operation)"
        }
    }
}

/// A plaintext personal value in transit through the vault.
///
/// Its description, debug description and mirror all print `<redacted>`, so interpolating
/// one into a log line, an error or a panic message leaks nothing. Read `.unsafeValue`
/// only where the value is meant to leave: encryption, normalization, an authorized view.
public struct Sensitive<Value: Sendable>: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let unsafeValue: Value
    public init(_ value: Value) { self.unsafeValue = value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:], displayStyle: .struct) }
    public func map<T>(_ transform: (Value) throws -> T) rethrows -> Sensitive<T> { Sensitive<T>(try transform(unsafeValue)) }
}

extension Sensitive: Equatable where Value: Equatable {}
extension Sensitive: Hashable where Value: Hashable {}

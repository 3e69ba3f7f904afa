import Foundation

/// Who a bearer token belongs to: a named principal with either one role or one source.
public struct Principal: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Reads and administers under a role of the policy bundle.
        case role(RoleName)
        /// Pushes records and events for exactly one source system.
        case ingest(SourceName)
    }
    public let tokenID: UUID
    public let name: String
    public let kind: Kind

    public init(tokenID: UUID, name: String, kind: Kind) {
        self.tokenID = tokenID
        self.name = name
        self.kind = kind
    }

    public var role: RoleName? { if case .role(let r) = kind { r } else { nil } }
    public var source: SourceName? { if case .ingest(let s) = kind { s } else { nil } }
}

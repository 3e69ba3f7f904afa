/// A stored row that failed its authentication: never served, audited, answered with
/// `integrity-error`. Carries no value from the row.
public enum RowIntegrityError: Error, CustomStringConvertible, Sendable {
    case token
    case policyVersion(Int)
    case request
    case subject
    case heldValue
    public var description: String {
        switch self {
        case .token: "a stored token failed its authentication (the database was changed outside the vault)"
        case .policyVersion(let version): "stored policy version \(version) failed its authentication (the database was changed outside the vault)"
        case .request: "a stored data-subject request failed its authentication (the database was changed outside the vault)"
        case .heldValue: "a value held under a legal hold failed its authentication (the database was changed outside the vault)"
        case .subject:
            "a stored subject's merge, restriction, record or identifier link failed its authentication (the database was changed outside the vault)"
        }
    }
}

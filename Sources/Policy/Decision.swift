import VaultModel

/// What a role may see of a field.
public enum PolicyAction: Sendable, Equatable {
    case show
    case mask(MaskKind)
    /// A keyed, stable pseudonym: equal values of one field hash alike, nothing else leaks.
    case hash
    case generalize(Generalization)
    case redact

    public var name: String {
        switch self {
        case .show: "show"
        case .mask: "mask"
        case .hash: "hash"
        case .generalize: "generalize"
        case .redact: "redact"
        }
    }
}

public enum MaskKind: String, Sendable, Equatable, CaseIterable {
    case email, last4, initials, phone
}

public enum Generalization: String, Sendable, Equatable, CaseIterable {
    /// A date to its year.
    case year
    /// A postal code to its first three characters.
    case prefix
    /// Any address field to the subject's city.
    case city
    /// Any address field to the subject's country.
    case country
}

/// The compiled decision for one (role, purpose, field): a table lookup at view time.
public struct FieldDecision: Sendable, Equatable {
    public let action: PolicyAction
    public let category: DataCategory
    /// The rule that decided, as `roles.yaml:LINE category → action`, or nil when no rule matched.
    public let rule: String?
    /// Shown only while the subject's consent for this purpose is current.
    public let requiresConsent: Purpose?

    public static func denied(_ category: DataCategory) -> FieldDecision {
        FieldDecision(action: .redact, category: category, rule: nil, requiresConsent: nil)
    }
}

import VaultModel

/// The JSON type a field or attribute value must have on the wire.
public enum ValueType: String, Sendable, Codable {
    case string, number, date
}

/// How a raw value becomes its canonical form before it is blind-indexed and sealed.
public enum NormalizerKind: String, Sendable, Codable, CaseIterable {
    case trim, email, phone, date, last4, iban
    case ipAddress = "ip_address"
    case lowercase
    case currency
    case none
}

/// One field of the catalog: what it is (category), how it is checked and normalized,
/// whether it identifies a person (used for matching through blind indexes).
public struct FieldDefinition: Sendable, Equatable {
    public let name: FieldName
    public let category: DataCategory
    public let type: ValueType
    public let isIdentifier: Bool
    public let normalizer: NormalizerKind
    public let retention: String?
    public let allowedValues: [String]?

    public init(
        name: FieldName, category: DataCategory, type: ValueType, isIdentifier: Bool,
        normalizer: NormalizerKind, retention: String? = nil, allowedValues: [String]? = nil
    ) {
        self.name = name
        self.category = category
        self.type = type
        self.isIdentifier = isIdentifier
        self.normalizer = normalizer
        self.retention = retention
        self.allowedValues = allowedValues
    }
}

/// An interaction type (`order`, `ticket`, …) and its tagged attributes.
public struct EventTypeDefinition: Sendable, Equatable {
    public let name: String
    public let attributes: [FieldName: FieldDefinition]
}

/// A source system and its trust rank (1 is the most trusted) for survivorship.
public struct SourceDefinition: Sendable, Equatable {
    public let name: SourceName
    public let trustRank: Int
    /// Whether the source's ingest answers say `created`, `linked` or `merged` with the subject
    /// id. Off by default: `linked` would tell a source that another source already holds the
    /// person (`OutcomeDisclosure`).
    public let revealOutcome: Bool
    public init(name: SourceName, trustRank: Int, revealOutcome: Bool = false) {
        self.name = name
        self.trustRank = trustRank
        self.revealOutcome = revealOutcome
    }
}

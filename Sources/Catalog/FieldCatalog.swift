import Foundation
import VaultModel

/// The field catalog: every field a record may carry, every event type, every source.
///
/// An unknown field is refused rather than stored: the vault must know the category of
/// everything it holds, or it can't apply policies, retention or erasure to it.
public struct FieldCatalog: Sendable {
    public let fields: [FieldName: FieldDefinition]
    public let eventTypes: [String: EventTypeDefinition]
    public let sources: [SourceName: SourceDefinition]
    /// Region for national phone numbers (`US` unless configured).
    public let phoneRegion: String

    public init(
        fields: [FieldName: FieldDefinition], eventTypes: [String: EventTypeDefinition],
        sources: [SourceName: SourceDefinition], phoneRegion: String = "US"
    ) {
        self.fields = fields
        self.eventTypes = eventTypes
        self.sources = sources
        self.phoneRegion = phoneRegion
    }

    public var identifierFields: [FieldDefinition] { fields.values.filter(\.isIdentifier).sorted { $0.name < $1.name } }

    public func withPhoneRegion(_ region: String) -> FieldCatalog {
        FieldCatalog(fields: fields, eventTypes: eventTypes, sources: sources, phoneRegion: region)
    }

    /// Checks and normalizes one record field.
    public func normalize(field name: String, value: JSONValue) throws(FieldIssue) -> Sensitive<String> {
        guard let definition = fields[FieldName(name)] else {
            let echo = SubmittedName.unknown(name, known: fields.keys.map(\.rawValue), what: "field")
            throw FieldIssue(field: echo.field, kind: .unknownField, reason: echo.reason)
        }
        return try normalize(value, as: definition)
    }

    /// Checks and normalizes one event attribute; numbers stay numbers.
    public func normalize(attribute name: String, of eventType: String, value: JSONValue) throws(FieldIssue) -> JSONValue {
        guard let type = eventTypes[eventType], let definition = type.attributes[FieldName(name)] else {
            let echo = SubmittedName.unknown(name, known: eventTypes[eventType]?.attributes.keys.map(\.rawValue) ?? [], what: "attribute of this event type")
            throw FieldIssue(field: echo.field, kind: .unknownField, reason: echo.reason)
        }
        if definition.type == .number {
            guard case .number(let n) = value else {
                throw FieldIssue(field: name, kind: .wrongType, reason: "expected a number")
            }
            guard n.isFinite, abs(n) < 1e15 else { throw FieldIssue(field: name, kind: .invalidValue, reason: "number out of range") }
            return .number(n)
        }
        return .string(try normalize(value, as: definition).unsafeValue)
    }

    func normalize(_ value: JSONValue, as definition: FieldDefinition) throws(FieldIssue) -> Sensitive<String> {
        let field = definition.name.rawValue
        guard case .string(let raw) = value else {
            throw FieldIssue(field: field, kind: .wrongType, reason: "expected a string")
        }
        do throws(NormalizationFailure) {
            let normalized = try Normalizers.normalize(raw, with: definition.normalizer, phoneRegion: phoneRegion, identifier: definition.isIdentifier)
            if let allowed = definition.allowedValues, !allowed.contains(normalized) {
                throw NormalizationFailure.invalid("not one of the allowed values")
            }
            return Sensitive(normalized)
        } catch {
            switch error {
            case .empty: throw FieldIssue(field: field, kind: .emptyValue, reason: "empty after trimming")
            case .tooLong: throw FieldIssue(field: field, kind: .valueTooLong, reason: "longer than \(Normalizers.maximumLength) characters")
            case .invalid(let reason): throw FieldIssue(field: field, kind: .invalidValue, reason: reason)
            }
        }
    }
}

import Catalog
import VaultModel

/// Coarser values: a date to its year, a postal code to its prefix, an address to its city
/// or country (taken from the subject's own golden values).
public enum GeneralizeAction {
    public struct Context: Sendable {
        public let city: String?
        public let country: String?
        public init(city: String?, country: String?) {
            self.city = city
            self.country = country
        }
    }

    /// nil when there is nothing to generalize to (the field is then redacted).
    public static func apply(_ to: Generalization, to value: String, context: Context) -> String? {
        switch to {
        case .year: value.count >= 4 ? String(value.prefix(4)) : nil
        case .prefix: value.count > 3 ? String(value.prefix(3)) : nil
        case .city: context.city
        case .country: context.country
        }
    }

    /// The category whose fields generalize to a prefix, city or country, on dot boundaries:
    /// a deployment's `user.contact.addressee` is not an address.
    static let address = DataCategory("user.contact.address")!

    /// Why `to` can't apply to `field`, or nil when it can.
    static func incompatibility(_ to: Generalization, field: FieldDefinition) -> String? {
        switch to {
        case .year:
            field.type == .date ? nil : "generalize to year applies to field \(field.name), which is not a date"
        case .prefix, .city, .country:
            Self.address.covers(field.category)
                ? nil
                : "generalize to \(to.rawValue) applies to field \(field.name), which is not an address field"
        }
    }
}

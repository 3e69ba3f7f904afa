import Catalog
import Testing
import VaultModel

@testable import Policy

@Suite("Generalizations")
struct GeneralizeActionTests {
    let context = GeneralizeAction.Context(city: "Denver", country: "US")

    @Test("date to year, postal code to prefix, address to city or country")
    func generalize() {
        #expect(GeneralizeAction.apply(.year, to: "1990-04-01", context: context) == "1990")
        #expect(GeneralizeAction.apply(.prefix, to: "80267", context: context) == "802")
        #expect(GeneralizeAction.apply(.city, to: "296 Mission St", context: context) == "Denver")
        #expect(GeneralizeAction.apply(.country, to: "296 Mission St", context: context) == "US")
    }

    @Test("nothing to generalize to gives nil (the field is then redacted)")
    func nothing() {
        #expect(GeneralizeAction.apply(.prefix, to: "802", context: context) == nil)
        #expect(GeneralizeAction.apply(.year, to: "", context: context) == nil)
        #expect(GeneralizeAction.apply(.city, to: "x", context: .init(city: nil, country: nil)) == nil)
    }

    static func field(_ category: String) -> FieldDefinition {
        FieldDefinition(name: FieldName("f"), category: DataCategory(category)!, type: .string, isIdentifier: false, normalizer: .trim)
    }

    @Test(
        "prefix, city and country apply to address categories only, matched on dot boundaries",
        arguments: [
            ("user.contact.address", true), ("user.contact.address.postal_code", true), ("user.contact.addressee", false), ("user.contact.email", false),
        ])
    func addressCategories(category: String, applies: Bool) {
        for to in [Generalization.prefix, .city, .country] {
            #expect((GeneralizeAction.incompatibility(to, field: Self.field(category)) == nil) == applies, "\(to) on \(category)")
        }
    }
}

import Foundation
import Testing
import VaultModel

@testable import Catalog

@Suite("Field catalog and policy bundle")
struct FieldCatalogTests {
    static let policies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("policies")

    @Test("the shipped bundle has every field of PRODUCT.md §12 with its category")
    func shippedFields() throws {
        let bundle = try PolicyBundle.load(directory: Self.policies)
        let catalog = bundle.catalog
        let expected: [String: (String, Bool)] = [
            "email": ("user.contact.email", true), "phone": ("user.contact.phone_number", true),
            "first_name": ("user.name.first", false), "last_name": ("user.name.last", false),
            "birth_date": ("user.demographic.date_of_birth", false), "street_address": ("user.contact.address.street", false),
            "city": ("user.contact.address.city", false), "postal_code": ("user.contact.address.postal_code", false),
            "country": ("user.contact.address.country", false), "card_last4": ("user.financial.credit_card", false),
            "iban": ("user.financial.bank_account", false), "ip_address": ("user.device.ip_address", false),
            "device_id": ("user.device.device_id", true), "customer_id": ("user.unique_id", true),
        ]
        for (name, (category, identifier)) in expected {
            let field = try #require(catalog.fields[FieldName(name)], "\(name)")
            #expect(field.category.rawValue == category)
            #expect(field.isIdentifier == identifier, "\(name)")
        }
        #expect(Set(catalog.eventTypes.keys) == ["order", "ticket", "page_view", "call"])
        #expect(catalog.sources[SourceName("crm")!]?.trustRank == 1)
        #expect(bundle.roles.role("compliance", holds: Purpose("essential.legal_obligation")!))
        #expect(!bundle.roles.role("support", holds: Purpose("marketing.advertising")!))
        #expect(bundle.version.hasPrefix("sha256:"))
    }

    @Test("unknown fields and wrong types are refused, naming the field only")
    func refusals() throws {
        let catalog = try CatalogLoader.load(directory: Self.policies)
        #expect(throws: FieldIssue(field: "emial", kind: .unknownField, reason: "unknown field; did you mean email?")) {
            try catalog.normalize(field: "emial", value: .string("ann@example.com"))
        }
        // A name far from every catalog name may be the client's data: it is not repeated.
        #expect(throws: FieldIssue(field: nil, kind: .unknownField, reason: "unknown field (its name is not repeated: it is not close to any defined name)")) {
            try catalog.normalize(field: "ann@example.com", value: .string("x"))
        }
        do {
            _ = try catalog.normalize(field: "email", value: .string("ann.secret@example"))
            Issue.record("a malformed email was accepted")
        } catch {
            #expect(error.kind == .invalidValue)
            #expect(!error.description.contains("ann.secret"))
        }
        #expect(throws: FieldIssue.self) { try catalog.normalize(field: "phone", value: .number(4_155_550_100)) }
        #expect(throws: FieldIssue.self) { try catalog.normalize(attribute: "status", of: "ticket", value: .string("lost")) }
        #expect(try catalog.normalize(attribute: "amount", of: "order", value: .number(12.5)) == .number(12.5))
    }

    @Test("categories cover on whole dotted segments")
    func categories() {
        let contact = DataCategory("user.contact")!
        #expect(contact.covers(DataCategory("user.contact.email")!))
        #expect(contact.covers(contact))
        #expect(!contact.covers(DataCategory("user.contactless")!))
        #expect(DataCategory("user..contact") == nil)
        #expect(DataCategory("User.Contact") == nil)
    }

    @Test("a bundle with an invalid category is refused with the file named")
    func invalidBundle() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bundle-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["sources.yaml", "roles.yaml", "purposes.yaml", "categories.yaml", "retention.yaml"] {
            try FileManager.default.copyItem(at: Self.policies.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        try "fields:\n  email: { category: 'User Contact', identifier: true, normalizer: email }\n"
            .write(to: directory.appendingPathComponent("fields.yaml"), atomically: true, encoding: .utf8)
        #expect { try PolicyBundle.load(directory: directory) } throws: { error in
            "\(error)".contains("fields.yaml") && "\(error)".contains("email")
        }
    }
}

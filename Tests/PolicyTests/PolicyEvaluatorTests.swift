import Consent
import Foundation
import Testing
import VaultModel

@testable import Policy

@Suite("Compiled policy and its evaluator")
struct PolicyEvaluatorTests {
    static let now = Date(timeIntervalSince1970: 1_780_000_000)
    static let support = Purpose("essential.service.operations.support")!
    static let profile: [FieldName: Sensitive<String>] = [
        "email": Sensitive("ann.lee@example.com"), "phone": Sensitive("+14155550100"), "first_name": Sensitive("Ann"),
        "birth_date": Sensitive("1990-04-01"), "card_last4": Sensitive("4242"), "iban": Sensitive("DE89370400440532013000"),
        "ip_address": Sensitive("10.1.2.3"), "city": Sensitive("Denver"), "postal_code": Sensitive("80267"),
        "street_address": Sensitive("296 Mission St"), "country": Sensitive("US"), "customer_id": Sensitive("C-1"),
    ]

    static func evaluate(_ policy: CompiledPolicy, role: RoleName, purpose: Purpose, consents: [ConsentEvent] = []) -> [FieldName: EvaluatedField] {
        let evaluator = PolicyEvaluator(policy: policy, pseudonym: { field, value in "h(\(field):\(value.count))" })
        let result = evaluator.evaluate(fields: profile, role: role, purpose: purpose, consent: ConsentState(events: consents), at: now) ?? []
        return Dictionary(uniqueKeysWithValues: result.map { ($0.field, $0) })
    }

    @Test("the shipped support role: contact shown, card masked, birth year, no bank details, no IP")
    func shippedSupport() throws {
        let policy = try CompiledPolicy.load(directory: Fixtures.policies)
        let view = Self.evaluate(policy, role: "support", purpose: Self.support)
        #expect(view["email"]?.value?.unsafeValue == "ann.lee@example.com")
        #expect(view["card_last4"]?.value?.unsafeValue == "••••4242")
        #expect(view["birth_date"]?.value?.unsafeValue == "1990")
        #expect(view["iban"]?.value == nil && view["iban"]?.reason == "rule")
        #expect(view["ip_address"]?.value == nil)
        #expect(view["email"]?.decision.rule?.hasPrefix("roles.yaml:") == true)
    }

    @Test("deny by default: a category no rule covers is redacted with reason no_rule")
    func denyByDefault() throws {
        let policy = try CompiledPolicy.load(directory: Fixtures.policies)
        let admin = Self.evaluate(policy, role: "admin", purpose: Purpose("operations")!)
        #expect(admin.values.allSatisfy { $0.value == nil && $0.reason == "no_rule" })
        #expect(admin.count == Self.profile.count)
    }

    @Test("analytics sees pseudonyms and generalized values, never a direct identifier")
    func analytics() throws {
        let policy = try CompiledPolicy.load(directory: Fixtures.policies)
        let view = Self.evaluate(policy, role: "analytics", purpose: Purpose("analytics.reporting")!)
        #expect(view["email"]?.action == .hash && view["email"]?.value?.unsafeValue == "h(email:19)")
        #expect(view["postal_code"]?.value?.unsafeValue == "802")
        for direct in ["phone", "first_name", "street_address", "iban", "card_last4", "ip_address"] {
            #expect(view[FieldName(direct)]?.value == nil, "\(direct)")
        }
    }

    @Test("requires_consent: shown while consent is current, redacted with reason no_consent otherwise")
    func consentDependent() throws {
        let policy = try CompiledPolicy.load(directory: Fixtures.policies)
        let purpose = Purpose("marketing.communications.email")!
        #expect(Self.evaluate(policy, role: "marketing", purpose: purpose)["email"]?.reason == "no_consent")
        let granted = ConsentEvent(purpose: purpose, status: .granted, lawfulBasis: .consent, occurredAt: Self.now.addingTimeInterval(-60))
        let withConsent = Self.evaluate(policy, role: "marketing", purpose: purpose, consents: [granted])
        #expect(withConsent["email"]?.value?.unsafeValue == "ann.lee@example.com")
        #expect(withConsent["street_address"]?.value?.unsafeValue == "Denver", "address generalized to city")
        #expect(withConsent["country"]?.value?.unsafeValue == "US")
        let withdrawn = ConsentEvent(purpose: purpose, status: .withdrawn, lawfulBasis: .consent, occurredAt: Self.now.addingTimeInterval(-1))
        #expect(Self.evaluate(policy, role: "marketing", purpose: purpose, consents: [granted, withdrawn])["email"]?.value == nil)
        // Marketing never sees financial, device or birth data, consent or not.
        for field in ["iban", "card_last4", "ip_address", "birth_date"] {
            #expect(withConsent[FieldName(field)]?.value == nil, "\(field)")
        }
    }

    @Test("the most specific category rule wins")
    func precedence() throws {
        let policy = try Fixtures.compile(
            roles: """
                roles:
                  r:
                    purposes: [essential]
                    rules:
                      - { category: user, action: redact }
                      - { category: user.contact, action: show }
                      - { category: user.contact.email, action: mask, mask: email }
                """)
        let view = Self.evaluate(policy, role: "r", purpose: Purpose("essential.service")!)
        #expect(view["email"]?.value?.unsafeValue == "a***@example.com")
        #expect(view["phone"]?.value?.unsafeValue == "+14155550100")
        #expect(view["first_name"]?.value == nil && view["first_name"]?.reason == "rule")
        #expect(Self.evaluate(policy, role: "r", purpose: Purpose("marketing")!).isEmpty, "a purpose the role doesn't hold decides nothing")
    }

    @Test("rules limited to purposes apply only to reads for those purposes")
    func purposeScopedRules() throws {
        let policy = try Fixtures.compile(
            roles: """
                roles:
                  r:
                    purposes: [essential.service, essential.legal_obligation]
                    rules:
                      - { category: user.contact.email, action: show, purposes: [essential.legal_obligation] }
                      - { category: user.contact.email, action: hash, purposes: [essential.service] }
                """)
        #expect(Self.evaluate(policy, role: "r", purpose: Purpose("essential.legal_obligation")!)["email"]?.action == .show)
        #expect(Self.evaluate(policy, role: "r", purpose: Purpose("essential.service.operations")!)["email"]?.action == .hash)
    }

    @Test(
        "validation errors name file, line and rule",
        arguments: [
            (
                "  r:\n    purposes: [essential]\n    rules:\n      - { category: user.contact, action: show }\n      - { category: user.contact, action: redact }\n",
                6, "contradicts the rule on line 5"
            ),
            ("  r:\n    purposes: [essential]\n    rules:\n      - { category: user.contactless, action: show }\n", 5, "unknown category"),
            ("  r:\n    purposes: [essential]\n    rules:\n      - { category: user.name, action: mask, mask: stars }\n", 5, "unknown mask"),
            ("  r:\n    purposes: []\n", 2, "declares no purposes"),
            ("  r:\n    purposes: [essential]\n    rules:\n      - { category: user.name, action: generalize, to: year }\n", nil, "not a date"),
            ("  r:\n    purposes: [telepathy]\n", 2, "not in purposes.yaml"),
            (
                "  r:\n    purposes: [essential]\n    rules:\n      - { category: user.name, action: show, requires_consent: telepathy }\n", 5,
                "requires_consent"
            ),
            (
                "  r:\n    purposes: [essential]\n    rules:\n      - { category: user.name, action: show }\n      - { category: user.name, action: show }\n",
                6, "duplicates the rule on line 5"
            ),
            (
                "  r:\n    purposes: [essential.service]\n    rules:\n      - { category: user.contact, action: show }\n      - { category: user.contact.email, action: redact, purposes: [essential.service.operations] }\n",
                6, "narrower than the purposes the role declares"
            ),
            (
                "  r:\n    purposes: [essential.service]\n    rules:\n      - { category: user.contact.email, action: redact, purposes: [marketing] }\n", 5,
                "not held by the role"
            ),
        ] as [(String, Int?, String)])
    func validation(roles: String, line: Int?, message: String) throws {
        let issues = try Fixtures.issues(roles: "roles:\n" + roles)
        let issue = try #require(issues.first, "the bundle was accepted")
        #expect(issue.file == "roles.yaml")
        #expect(issue.description.contains(message), "\(issue)")
        if let line { #expect(issue.line == line, "\(issue)") }
        #expect(issue.description.contains("role 'r'"))
    }

    @Test(
        "separation of duties: a bundle giving admin any disclosing action is refused; redact is allowed",
        arguments: ["show", "mask, mask: last4", "hash", "generalize, to: year"])
    func adminMayNotDisclose(action: String) throws {
        let roles = "roles:\n  admin:\n    purposes: [operations]\n    rules:\n      - { category: user.demographic.date_of_birth, action: \(action) }\n"
        let issue = try #require(try Fixtures.issues(roles: roles).first, "admin was given \(action)")
        #expect(issue.description.contains("admin may not be given a disclosing action"), "\(issue)")
        #expect(issue.line == 5)
        let redacting = "roles:\n  admin:\n    purposes: [operations]\n    rules:\n      - { category: user.demographic.date_of_birth, action: redact }\n"
        #expect(try Fixtures.issues(roles: redacting).isEmpty)
    }

    @Test("the shipped bundle compiles and every role holds its purposes")
    func shippedBundle() throws {
        let policy = try CompiledPolicy.load(directory: Fixtures.policies)
        #expect(Set(policy.roles.keys.map(\.rawValue)) == ["admin", "compliance", "support", "marketing", "billing", "analytics"])
        #expect(policy.table.declaredPurpose(of: "compliance", for: Purpose("essential.legal_obligation")!) == Purpose("essential.legal_obligation"))
        #expect(policy.table.declaredPurpose(of: "support", for: Purpose("marketing")!) == nil)
    }
}

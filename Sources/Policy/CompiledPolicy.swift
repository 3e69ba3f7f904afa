import Catalog
import Foundation
import VaultCrypto
import VaultModel

/// A validated, compiled policy bundle: the catalog, the purposes, the roles and their
/// decision table, and the version that names them.
public struct CompiledPolicy: Sendable {
    public let bundle: PolicyBundle
    public let taxonomy: CategoryTaxonomy
    public let roles: [RoleName: RoleDefinition]
    public let table: DecisionTable
    /// The raw files, kept to show, diff and store the bundle.
    public let files: [String: String]

    init(
        bundle: PolicyBundle, taxonomy: CategoryTaxonomy, roles: [RoleName: RoleDefinition], table: DecisionTable, files: [String: String], holds: [LegalHold],
        retention: RetentionRules
    ) {
        self.retention = retention
        self.bundle = bundle
        self.taxonomy = taxonomy
        self.roles = roles
        self.table = table
        self.files = files
        self.holds = holds
    }

    /// The hold covering `category`, if any (the most specific).
    public func hold(for category: DataCategory) -> LegalHold? {
        holds.filter { $0.category.covers(category) }.max { $0.category.segments.count < $1.category.segments.count }
    }

    public var version: String { bundle.version }
    public var catalog: FieldCatalog { bundle.catalog }

    /// Categories kept under a legal obligation after erasure (`retention.yaml`).
    public let holds: [LegalHold]
    /// How long values and events are kept (`fields.yaml`, `retention.yaml`).
    public let retention: RetentionRules

    /// Reads the bundle files of a policy directory (`PolicyBundle.readFiles`), as text.
    public static func readFiles(directory: URL) throws -> [String: String] {
        do {
            return try PolicyBundle.readFiles(directory: directory).mapValues { String(decoding: $0, as: UTF8.self) }
        } catch let error as CatalogError {
            throw PolicyValidationError(issues: [PolicyIssue(file: error.file, line: nil, rule: nil, message: "missing from \(directory.path)")])
        }
    }

    public static func load(directory: URL, phoneRegion: String = "US") throws -> CompiledPolicy {
        try compile(files: readFiles(directory: directory), phoneRegion: phoneRegion)
    }

    /// Validates everything and reports every problem found, with file, line and rule.
    public static func compile(files: [String: String], phoneRegion: String = "US") throws -> CompiledPolicy {
        for name in PolicyBundle.files where files[name] == nil {
            throw PolicyValidationError(issues: [PolicyIssue(file: name, line: nil, rule: nil, message: "missing from the bundle")])
        }
        let bundle: PolicyBundle
        do {
            bundle = try PolicyBundle.load(files: files.mapValues { Data($0.utf8) }, phoneRegion: phoneRegion)
        } catch let error as CatalogError {
            throw PolicyValidationError(issues: [PolicyIssue(file: error.file, line: nil, rule: nil, message: error.description)])
        }
        let taxonomy = try CategoryTaxonomy.parse(files["categories.yaml"]!)
        let roles = try RoleRulesParser.parse(files["roles.yaml"]!)
        var issues: [PolicyIssue] = []

        for field in bundle.catalog.fields.values.sorted(by: { $0.name < $1.name }) where !taxonomy.contains(field.category) {
            issues.append(PolicyIssue(file: "fields.yaml", line: nil, rule: field.name.rawValue, message: "unknown category \(field.category)"))
        }
        for type in bundle.catalog.eventTypes.values.sorted(by: { $0.name < $1.name }) {
            for attribute in type.attributes.values where !taxonomy.contains(attribute.category) {
                issues.append(
                    PolicyIssue(file: "fields.yaml", line: nil, rule: "\(type.name).\(attribute.name)", message: "unknown category \(attribute.category)"))
            }
        }
        for role in roles {
            for purpose in role.purposes where !bundle.purposes.contains(purpose) {
                issues.append(
                    PolicyIssue(file: "roles.yaml", line: role.line, rule: nil, message: "role '\(role.name)': purpose '\(purpose)' is not in purposes.yaml"))
            }
            for (i, rule) in role.rules.enumerated() {
                func issue(_ message: String) {
                    issues.append(PolicyIssue(file: "roles.yaml", line: rule.line, rule: rule.summary, message: "role '\(role.name)': \(message)"))
                }
                if !taxonomy.contains(rule.category) { issue("unknown category \(rule.category)") }
                // Separation of duties (PRODUCT.md §5): admin manages policies, tokens and keys;
                // a bundle it applies must not let it read the values it administers.
                if role.name == .admin, rule.action != .redact {
                    issue("admin may not be given a disclosing action (\(rule.action.name)): separation of duties allows it redact only")
                }
                if let purpose = rule.requiresConsent, !bundle.purposes.contains(purpose) {
                    issue("requires_consent purpose \(purpose) is not in purposes.yaml")
                }
                for purpose in rule.purposes ?? [] where !role.purposes.contains(where: { purpose.covers($0) }) {
                    // Decisions are compiled per declared purpose: a scope narrower than every
                    // declared purpose would never apply, and its rule (a redaction, say) would be
                    // silently ignored.
                    issue(
                        role.purposes.contains(where: { $0.covers(purpose) })
                            ? "purpose \(purpose) is narrower than the purposes the role declares; declare it on the role to scope a rule to it"
                            : "purpose \(purpose) is not held by the role")
                }
                for other in role.rules[..<i] where other.category == rule.category && scopesOverlap(other.purposes, rule.purposes) {
                    issue(
                        other
                            == RoleRule(
                                category: rule.category, action: rule.action, requiresConsent: rule.requiresConsent,
                                purposes: rule.purposes, line: other.line)
                            ? "duplicates the rule on line \(other.line)"
                            : "contradicts the rule on line \(other.line) for the same category")
                }
            }
        }
        let categories = taxonomy.categories.union(bundle.catalog.fields.values.map(\.category))
        let table = DecisionTable.compile(roles: roles, categories: categories)
        // Generalizations must make sense for every field they end up deciding.
        for role in roles {
            for purpose in role.purposes {
                for field in bundle.catalog.fields.values.sorted(by: { $0.name < $1.name }) {
                    guard let decision = table.table[role.name]?[purpose]?[field.category], case .generalize(let to) = decision.action else { continue }
                    if let problem = GeneralizeAction.incompatibility(to, field: field) {
                        issues.append(PolicyIssue(file: "roles.yaml", line: nil, rule: decision.rule, message: "role '\(role.name)': \(problem)"))
                    }
                }
            }
        }
        let holds = try LegalHold.parse(files["retention.yaml"]!)
        let retention = try RetentionRules.compile(files["retention.yaml"]!, catalog: bundle.catalog, holds: holds)
        for hold in holds where !taxonomy.contains(hold.category) {
            issues.append(PolicyIssue(file: "retention.yaml", line: nil, rule: hold.category.rawValue, message: "unknown category \(hold.category)"))
        }
        guard issues.isEmpty else {
            throw PolicyValidationError(issues: Array(Set(issues)).sorted { ($0.line ?? 0, $0.description) < ($1.line ?? 0, $1.description) })
        }
        return CompiledPolicy(
            bundle: bundle, taxonomy: taxonomy, roles: Dictionary(uniqueKeysWithValues: roles.map { ($0.name, $0) }),
            table: table, files: files, holds: holds, retention: retention)
    }

    static func scopesOverlap(_ a: [Purpose]?, _ b: [Purpose]?) -> Bool {
        guard let a, let b else { return true }
        return a.contains { x in b.contains { y in x.covers(y) || y.covers(x) } }
    }
}

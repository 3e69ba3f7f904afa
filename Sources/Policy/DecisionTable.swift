import Catalog
import VaultModel

/// Every (role, declared purpose, category) decision, computed once per bundle.
///
/// A view then costs one dictionary lookup per field instead of a walk over the rules:
/// the most specific rule whose category covers the field's category wins; ties were
/// refused when the bundle was validated.
public struct DecisionTable: Sendable {
    let table: [RoleName: [Purpose: [DataCategory: FieldDecision]]]
    let declared: [RoleName: [Purpose]]
    /// The roles shown anything of a personal value, derived once per bundle (a token
    /// authentication asks under dual control).
    let disclosing: Set<RoleName>

    /// The declared purpose of `role` under which a read for `purpose` is decided: the most
    /// specific one that covers it; nil when the role doesn't hold the purpose.
    public func declaredPurpose(of role: RoleName, for purpose: Purpose) -> Purpose? {
        declared[role]?.filter { $0.covers(purpose) }.max { $0.segments.count < $1.segments.count }
    }

    /// Whether `role` is shown anything of a personal value (any action but redact) under any
    /// purpose it holds: a token for such a role is a privileged grant (PRODUCT.md §5).
    public func disclosesValues(to role: RoleName) -> Bool { disclosing.contains(role) }

    public func decisions(role: RoleName, purpose: Purpose) -> [DataCategory: FieldDecision]? {
        guard let declared = declaredPurpose(of: role, for: purpose) else { return nil }
        return table[role]?[declared]
    }

    static func compile(roles: [RoleDefinition], categories: Set<DataCategory>) -> DecisionTable {
        var table: [RoleName: [Purpose: [DataCategory: FieldDecision]]] = [:]
        var declared: [RoleName: [Purpose]] = [:]
        for role in roles {
            declared[role.name] = role.purposes
            for purpose in role.purposes {
                var row: [DataCategory: FieldDecision] = [:]
                for category in categories {
                    let winner = role.rules
                        .filter { $0.category.covers(category) && ($0.purposes?.contains { $0.covers(purpose) } ?? true) }
                        .max { $0.category.segments.count < $1.category.segments.count }
                    row[category] =
                        winner.map {
                            FieldDecision(action: $0.action, category: category, rule: $0.label, requiresConsent: $0.requiresConsent)
                        } ?? .denied(category)
                }
                table[role.name, default: [:]][purpose] = row
            }
        }
        let disclosing = Set(table.filter { $0.value.values.contains { $0.values.contains { $0.action != .redact } } }.keys)
        return DecisionTable(table: table, declared: declared, disclosing: disclosing)
    }
}

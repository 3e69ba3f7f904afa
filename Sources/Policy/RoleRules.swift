import Foundation
import VaultModel
import Yams

/// One rule of `roles.yaml`, with the line it was written on.
public struct RoleRule: Sendable, Equatable {
    public let category: DataCategory
    public let action: PolicyAction
    public let requiresConsent: Purpose?
    /// When set, the rule applies only to reads with one of these purposes.
    public let purposes: [Purpose]?
    public let line: Int

    public var label: String { "roles.yaml:\(line) \(summary)" }
    /// `category → action`, for messages that already name file and line.
    public var summary: String { "\(category) → \(action.name)" }
}

public struct RoleDefinition: Sendable {
    public let name: RoleName
    public let purposes: [Purpose]
    public let rules: [RoleRule]
    public let line: Int
}

/// Parses `roles.yaml` keeping line numbers, so every error names file, line and rule.
enum RoleRulesParser {
    static let file = "roles.yaml"
    static let ruleKeys: Set<String> = ["category", "action", "mask", "to", "requires_consent", "purposes"]

    static func parse(_ text: String) throws(PolicyValidationError) -> [RoleDefinition] {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw PolicyValidationError(issues: [PolicyIssue(file: file, line: nil, rule: nil, message: "not valid YAML")])
        }
        guard let roles = root?.mapping?["roles"]?.mapping else {
            throw PolicyValidationError(issues: [PolicyIssue(file: file, line: 1, rule: nil, message: "expected a 'roles' mapping")])
        }
        var issues: [PolicyIssue] = []
        var definitions: [RoleDefinition] = []
        for (key, value) in roles {
            let name = key.string ?? ""
            let roleLine = key.mark?.line ?? 0
            func issue(_ line: Int?, _ rule: String?, _ message: String) {
                issues.append(PolicyIssue(file: file, line: line, rule: rule, message: "role '\(name)': \(message)"))
            }
            guard let body = value.mapping else {
                issue(roleLine, nil, "expected a mapping")
                continue
            }
            var purposes: [Purpose] = []
            for item in body["purposes"]?.sequence ?? [] {
                guard let text = item.string, let purpose = Purpose(text) else {
                    issue(item.mark?.line, nil, "'\(item.string ?? "?")' is not a purpose key")
                    continue
                }
                purposes.append(purpose)
            }
            if purposes.isEmpty { issue(roleLine, nil, "declares no purposes") }
            var rules: [RoleRule] = []
            for item in body["rules"]?.sequence ?? [] {
                let line = item.mark?.line ?? roleLine
                guard let rule = item.mapping else {
                    issue(line, nil, "a rule must be a mapping")
                    continue
                }
                let category = rule["category"]?.string ?? ""
                let label = "\(category) → \(rule["action"]?.string ?? "?")"
                for k in rule.keys where !ruleKeys.contains(k.string ?? "") { issue(line, label, "unknown key '\(k.string ?? "?")'") }
                guard let parsedCategory = DataCategory(category) else {
                    issue(line, label, "'\(category)' is not a data category")
                    continue
                }
                let action: PolicyAction
                switch rule["action"]?.string {
                case "show": action = .show
                case "hash": action = .hash
                case "redact": action = .redact
                case "mask":
                    guard let kind = rule["mask"]?.string.flatMap(MaskKind.init(rawValue:)) else {
                        issue(line, label, "unknown mask '\(rule["mask"]?.string ?? "")' (masks: \(MaskKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                        continue
                    }
                    action = .mask(kind)
                case "generalize":
                    guard let to = rule["to"]?.string.flatMap(Generalization.init(rawValue:)) else {
                        issue(
                            line, label,
                            "unknown generalization '\(rule["to"]?.string ?? "")' (to: \(Generalization.allCases.map(\.rawValue).joined(separator: ", ")))")
                        continue
                    }
                    action = .generalize(to)
                default:
                    issue(line, label, "unknown action '\(rule["action"]?.string ?? "")' (show, mask, hash, generalize, redact)")
                    continue
                }
                var requires: Purpose?
                if let text = rule["requires_consent"]?.string {
                    guard let purpose = Purpose(text) else {
                        issue(line, label, "requires_consent '\(text)' is not a purpose key")
                        continue
                    }
                    requires = purpose
                }
                var only: [Purpose]?
                if let list = rule["purposes"]?.sequence {
                    only = list.compactMap { $0.string.flatMap(Purpose.init) }
                    if only!.count != list.count {
                        issue(line, label, "purposes must be purpose keys")
                        continue
                    }
                }
                rules.append(RoleRule(category: parsedCategory, action: action, requiresConsent: requires, purposes: only, line: line))
            }
            definitions.append(RoleDefinition(name: RoleName(name), purposes: purposes, rules: rules, line: roleLine))
        }
        guard issues.isEmpty else { throw PolicyValidationError(issues: issues) }
        return definitions
    }
}

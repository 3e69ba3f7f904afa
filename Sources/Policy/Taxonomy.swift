import Foundation
import VaultModel
import Yams

/// The data categories a bundle may use (`categories.yaml`).
public struct CategoryTaxonomy: Sendable {
    public let categories: Set<DataCategory>

    public init(categories: Set<DataCategory>) { self.categories = categories }

    public func contains(_ category: DataCategory) -> Bool { categories.contains(category) }

    static func parse(_ text: String) throws(PolicyValidationError) -> CategoryTaxonomy {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw PolicyValidationError(issues: [PolicyIssue(file: "categories.yaml", line: nil, rule: nil, message: "not valid YAML")])
        }
        guard let list = node?.mapping?["categories"]?.sequence else {
            throw PolicyValidationError(issues: [PolicyIssue(file: "categories.yaml", line: 1, rule: nil, message: "expected a 'categories' list")])
        }
        var categories: Set<DataCategory> = []
        var issues: [PolicyIssue] = []
        for item in list {
            guard let text = item.string, let category = DataCategory(text) else {
                issues.append(PolicyIssue(file: "categories.yaml", line: item.mark.map { $0.line }, rule: nil, message: "not a dotted category key"))
                continue
            }
            categories.insert(category)
        }
        guard issues.isEmpty else { throw PolicyValidationError(issues: issues) }
        return CategoryTaxonomy(categories: categories)
    }
}

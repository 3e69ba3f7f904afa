import Foundation
import VaultModel
import Yams

/// A category kept after erasure because a law requires it, for how long and why.
public struct LegalHold: Sendable, Equatable {
    public let category: DataCategory
    public let basis: String
    public let days: Int

    struct File: Decodable {
        let legal_holds: [Entry]?
    }
    struct RetentionFile: Decodable {
        let retention: Retention?
    }
    struct Retention: Decodable {
        let categories: [String: String]?
        let events: [String: String]?
    }
    struct Entry: Decodable {
        let category: String
        let basis: String
        let days: Int
    }

    static func parse(_ text: String) throws -> [LegalHold] {
        let file: File
        do { file = try YAMLDecoder().decode(File.self, from: text) } catch {
            throw PolicyValidationError(issues: [
                PolicyIssue(file: "retention.yaml", line: nil, rule: nil, message: "expected legal_holds: [{category, basis, days}]")
            ])
        }
        return try (file.legal_holds ?? []).map { entry in
            guard let category = DataCategory(entry.category), !entry.basis.isEmpty, (1...36500).contains(entry.days) else {
                throw PolicyValidationError(issues: [
                    PolicyIssue(
                        file: "retention.yaml", line: nil, rule: entry.category,
                        message: "a legal hold needs a category, a basis and 1 to 36500 days")
                ])
            }
            return LegalHold(category: category, basis: entry.basis, days: entry.days)
        }
    }
}

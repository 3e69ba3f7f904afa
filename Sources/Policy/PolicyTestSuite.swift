import Consent
import Foundation
import VaultModel
import Yams

/// Policy tests (`policies/tests/*.yaml`): a role, a purpose, a subject fixture with
/// consents, and the expected decision (and optionally value) per field. They run offline,
/// through the same evaluator that serves views, as CI for policies.
public enum PolicyTestSuite {
    public struct Result: Sendable {
        public let file: String
        public let name: String
        public let failures: [String]
        public var passed: Bool { failures.isEmpty }
    }

    struct TestFile: Decodable {
        let name: String
        let role: String
        let purpose: String
        let subject: Subject
        let expect: [String: Expectation]
    }
    struct Subject: Decodable {
        let fields: [String: String]
        let consents: [ConsentFixture]?
        let restricted: Bool?
    }
    struct ConsentFixture: Decodable {
        let purpose: String
        let status: String
        let lawful_basis: String?
        /// Days from now; negative is in the past. Default: one day ago.
        let days_ago: Double?
        let expires_in_days: Double?
    }
    struct Expectation: Decodable {
        let action: String
        let value: String?
        let reason: String?
        init(from decoder: Decoder) throws {
            if let action = try? decoder.singleValueContainer().decode(String.self) {
                self.action = action
                value = nil
                reason = nil
                return
            }
            let c = try decoder.container(keyedBy: Keys.self)
            action = try c.decode(String.self, forKey: .action)
            value = try c.decodeIfPresent(String.self, forKey: .value)
            reason = try c.decodeIfPresent(String.self, forKey: .reason)
        }
        enum Keys: String, CodingKey { case action, value, reason }
    }

    /// Runs every `*.yaml` of `directory` against `policy`, in file-name order.
    public static func run(directory: URL, policy: CompiledPolicy, now: Date = Date()) throws -> [Result] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return try names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { name in
            let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) ?? Data()
            let test: TestFile
            do {
                test = try YAMLDecoder().decode(TestFile.self, from: data)
            } catch {
                return Result(file: name, name: name, failures: ["the test file can't be read: \(describe(error))"])
            }
            return run(test, file: name, policy: policy, now: now)
        }
    }

    static func run(_ test: TestFile, file: String, policy: CompiledPolicy, now: Date) -> Result {
        var failures: [String] = []
        guard let purpose = Purpose(test.purpose) else {
            return Result(file: file, name: test.name, failures: ["purpose '\(test.purpose)' is not a purpose key"])
        }
        let role = RoleName(test.role)
        var events: [ConsentEvent] = []
        for (i, c) in (test.subject.consents ?? []).enumerated() {
            guard let p = Purpose(c.purpose), let status = ConsentStatus(rawValue: c.status),
                let basis = LawfulBasis(rawValue: c.lawful_basis ?? "consent")
            else {
                failures.append("consent \(i) is malformed")
                continue
            }
            events.append(
                ConsentEvent(
                    purpose: p, status: status, lawfulBasis: basis,
                    occurredAt: now.addingTimeInterval(-(c.days_ago ?? 1) * 86400),
                    expiresAt: c.expires_in_days.map { now.addingTimeInterval($0 * 86400) }, sequence: Int64(i)))
        }
        let fields = Dictionary(uniqueKeysWithValues: test.subject.fields.map { (FieldName($0.key), Sensitive($0.value)) })
        for name in fields.keys where policy.catalog.fields[name] == nil { failures.append("fixture field '\(name)' is not in the catalog") }
        let evaluator = PolicyEvaluator(policy: policy, pseudonym: { field, value in "pv_test_\(field)_\(value.count)" })
        guard let evaluated = evaluator.evaluate(fields: fields, role: role, purpose: purpose, consent: ConsentState(events: events), at: now) else {
            return Result(file: file, name: test.name, failures: failures + ["role \(role) does not hold purpose \(purpose)"])
        }
        let restricted = (test.subject.restricted ?? false) && role != .compliance
        let byField = Dictionary(uniqueKeysWithValues: evaluated.map { ($0.field.rawValue, $0) })
        for (field, expected) in test.expect.sorted(by: { $0.key < $1.key }) {
            guard let got = byField[field] else {
                failures.append("\(field): not in the subject fixture")
                continue
            }
            let action = restricted ? "redact" : got.action.name
            let reason = restricted ? "restricted" : got.reason
            if action != expected.action { failures.append("\(field): expected \(expected.action), got \(action) (\(reason))") }
            if let value = expected.value, !restricted, got.value?.unsafeValue != value {
                failures.append("\(field): expected value \"\(value)\", got \(got.value.map { "\"\($0.unsafeValue)\"" } ?? "nothing")")
            }
            if let expectedReason = expected.reason, reason != expectedReason {
                failures.append("\(field): expected reason \(expectedReason), got \(reason)")
            }
        }
        return Result(file: file, name: test.name, failures: failures)
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DecodingError {
            switch error {
            case .keyNotFound(let key, _): return "missing key '\(key.stringValue)'"
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
                return "invalid value at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
            @unknown default: return "invalid"
            }
        }
        return "not valid YAML"
    }
}

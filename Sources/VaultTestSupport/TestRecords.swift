import Foundation
import Vault
import VaultModel

/// A record body as a source sends it.
public func record(_ key: String, observedAt: String = "2026-03-01T10:00:00Z", _ fields: [String: String]) -> JSONValue {
    .object(["key": .string(key), "observed_at": .string(observedAt), "fields": .object(fields.mapValues { .string($0) })])
}

public let crm = SourceName("crm")!
public let billing = SourceName("billing")!
public let support = SourceName("support")!
public let web = SourceName("web")!

/// Every occurrence of `needle` in `haystack`.
public func contains(_ haystack: Data, _ needle: String) -> Bool {
    haystack.range(of: Data(needle.utf8)) != nil
}

/// The audit context of direct pipeline calls in tests.
public let tester = Caller(requestID: "test", principal: "tester")

import Audit
import Foundation
import VaultModel

/// Who is asking, in which request, and for which purpose: the audit context every
/// audited operation carries from the HTTP layer (or from vaultd itself) down.
public struct Caller: Sendable {
    public let requestID: String
    public let principal: String
    public let role: RoleName?
    public let source: SourceName?
    public let purpose: Purpose?

    public init(requestID: String, principal: String, role: RoleName? = nil, source: SourceName? = nil, purpose: Purpose? = nil) {
        self.requestID = requestID
        self.principal = principal
        self.role = role
        self.source = source
        self.purpose = purpose
    }

    public init(requestID: String, principal: Principal, purpose: Purpose? = nil) {
        self.init(requestID: requestID, principal: principal.name, role: principal.role, source: principal.source, purpose: purpose)
    }

    /// The same caller reading for `purpose`.
    public func reading(for purpose: Purpose) -> Caller {
        Caller(requestID: requestID, principal: principal, role: role, source: source, purpose: purpose)
    }

    /// vaultd acting on its own (first-start tokens, demo load).
    public static func system(_ what: String) -> Caller {
        Caller(requestID: "system-\(what)", principal: "vaultd")
    }

    /// vaultd itself, not a principal of a request (which always has a role or a source).
    public var isSystem: Bool { role == nil && source == nil && requestID.hasPrefix("system-") && principal == "vaultd" }

    public func draft(
        _ action: String, subjects: [String] = [], fields: [String] = [], policyVersion: String? = nil,
        outcome: String = "ok", detail: String? = nil, at: Date = Date()
    ) -> AuditDraft {
        AuditDraft(
            at: at, requestID: requestID, principal: principal, role: role?.rawValue, source: source?.rawValue,
            purpose: purpose?.rawValue, action: action, subjectIDs: subjects, fields: fields, policyVersion: policyVersion,
            outcome: outcome, detail: detail)
    }
}

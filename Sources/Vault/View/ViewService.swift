import Catalog
import Consent
import Foundation
import Policy
import Storage
import VaultModel

/// The 360 view of one subject for one role and purpose.
public struct SubjectView: Sendable {
    public let subjectID: SubjectID
    public let role: RoleName
    public let purpose: Purpose
    public let policyVersion: String
    public let restricted: Bool
    /// Values as the role may see them; redacted fields are absent.
    public let fields: [FieldName: Sensitive<String>]
    /// Every field the subject has, with the decision and its reason (for `?explain=true`).
    public let decisions: [EvaluatedField]
    /// nil when the role sees none of the figures.
    public let aggregates: VisibleAggregates?
    public let sources: [SourceName]
}

/// The aggregates a role may see; each is nil when its category is not shown to the role.
public struct VisibleAggregates: Sendable, Equatable {
    public let orderCount: Int?
    public let lifetimeValue: Double?
    public let openTickets: Int?
    public let lastContact: Date?

    /// Categories of the figures: orders are purchase history, tickets private content.
    static let purchases = DataCategory("user.behavior.purchase_history")!
    static let tickets = DataCategory("user.content.private")!
    static let contact = DataCategory("user.behavior")!
}

public enum ViewError: Error, Sendable, CustomStringConvertible {
    case purposeNotHeld(role: RoleName, purpose: Purpose)
    case notFound
    /// The subject asked for restriction of processing: only compliance may see it.
    case restricted

    public var description: String {
        switch self {
        case .purposeNotHeld(let role, let purpose): "role \(role) does not hold purpose \(purpose)"
        case .notFound: "no such subject"
        case .restricted: "processing of this subject is restricted; only compliance may read it"
        }
    }
}

/// Builds role-scoped views: load once (sealed values, event totals and consents in one read),
/// decide each field by a table lookup, open and apply the action, audit, return.
public struct ViewService: Sendable {
    let reader: ProfileReader
    let keys: VaultKeys
    let policies: PolicyState
    let audit: AuditLog

    public init(reader: ProfileReader, keys: VaultKeys, policies: PolicyState, audit: AuditLog) {
        self.reader = reader
        self.keys = keys
        self.policies = policies
        self.audit = audit
    }

    func evaluator(_ policy: CompiledPolicy) -> PolicyEvaluator {
        let keys = self.keys
        return PolicyEvaluator(policy: policy, pseudonym: { keys.pseudonym(field: $0, value: $1) })
    }

    /// Loads the profile after the checks every read shares: the role holds the purpose, the
    /// subject exists, and a restricted subject is shown to compliance only. Refusals are audited.
    func authorizedProfile(
        _ id: SubjectID, role: RoleName, purpose: Purpose, caller: Caller, action: String,
        active: ActivePolicy
    ) async throws -> ViewProfile {
        let policy = active.policy
        guard policy.table.declaredPurpose(of: role, for: purpose) != nil else {
            try await audit.record(
                caller.draft(
                    action, subjects: [id.description], policyVersion: active.label,
                    outcome: "denied", detail: "purpose not held by role"))
            throw ViewError.purposeNotHeld(role: role, purpose: purpose)
        }
        guard let profile = try await reader.readForView(id) else {
            try await audit.record(
                caller.draft(
                    action, subjects: [id.description], policyVersion: active.label,
                    outcome: "refused", detail: "no such subject"))
            throw ViewError.notFound
        }
        if profile.restricted && role != .compliance {
            try await audit.record(
                caller.draft(
                    action, subjects: [profile.subjectID.description], policyVersion: active.label,
                    outcome: "denied", detail: "subject restricted"))
            throw ViewError.restricted
        }
        return profile
    }

    /// The view, audited (fields shown, policy version) before it is returned: if the audit
    /// entry can't be written, the view is not served.
    public func view(_ id: SubjectID, role: RoleName, purpose: Purpose, caller: Caller, now: Date = Date()) async throws -> SubjectView {
        let caller = caller.reading(for: purpose)
        let active = policies.active
        let policy = active.policy
        let profile = try await authorizedProfile(id, role: role, purpose: purpose, caller: caller, action: "subject.view", active: active)
        let evaluator = evaluator(policy)
        let consent = profile.consentState
        // Decide, then open: only values the role sees in some form are decrypted.
        let evaluated =
            try evaluator.evaluate(names: profile.fieldNames, role: role, purpose: purpose, consent: consent, at: now, value: profile.value(of:)) ?? []
        var fields: [FieldName: Sensitive<String>] = [:]
        for field in evaluated { if let value = field.value { fields[field.field] = value } }

        let all = profile.aggregates
        func shows(_ category: DataCategory) -> Bool { evaluator.shows(category, role: role, purpose: purpose, consent: consent, at: now) }
        let purchases = shows(VisibleAggregates.purchases)
        let visible = VisibleAggregates(
            orderCount: purchases ? all.orderCount : nil, lifetimeValue: purchases ? all.lifetimeValue : nil,
            openTickets: shows(VisibleAggregates.tickets) ? all.openTickets : nil,
            lastContact: shows(VisibleAggregates.contact) ? all.lastContact : nil)
        let anyVisible = visible.orderCount != nil || visible.openTickets != nil || visible.lastContact != nil

        try await audit.record(
            caller.draft(
                "subject.view", subjects: [profile.subjectID.description],
                fields: fields.keys.map(\.rawValue).sorted(), policyVersion: active.label))
        return SubjectView(
            subjectID: profile.subjectID, role: role, purpose: purpose, policyVersion: active.label,
            restricted: profile.restricted, fields: fields, decisions: evaluated,
            aggregates: anyVisible ? visible : nil, sources: profile.sources)
    }
}

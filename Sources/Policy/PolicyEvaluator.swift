import Catalog
import Consent
import Foundation
import VaultModel

/// The outcome for one field of one view.
public struct EvaluatedField: Sendable {
    public let field: FieldName
    public let decision: FieldDecision
    /// The action applied; `redact` when consent was missing or the value could not be generalized.
    public let action: PolicyAction
    /// `rule`, `no_rule` (deny by default), `no_consent`, `nothing_to_generalize`.
    public let reason: String
    /// The value to show; nil when redacted.
    public let value: Sensitive<String>?
}

/// Applies the compiled decisions to a subject's golden values.
///
/// Used by the live view and by `vaultctl policy test`, so the offline tests exercise the
/// very code that serves departments.
public struct PolicyEvaluator: Sendable {
    let policy: CompiledPolicy
    /// The keyed pseudonym of a value of a field (HMAC under the vault's pseudonym key).
    let pseudonym: @Sendable (FieldName, String) -> String

    public init(policy: CompiledPolicy, pseudonym: @escaping @Sendable (FieldName, String) -> String) {
        self.policy = policy
        self.pseudonym = pseudonym
    }

    /// nil when the role doesn't hold the purpose.
    public func evaluate(
        fields: [FieldName: Sensitive<String>], role: RoleName, purpose: Purpose,
        consent: ConsentState, at time: Date
    ) -> [EvaluatedField]? {
        evaluate(names: fields.keys.sorted(), role: role, purpose: purpose, consent: consent, at: time) { fields[$0] }
    }

    /// The same, for values still sealed: `value` opens a field's value, and is called only for
    /// fields whose decision shows the value in some form (a redacted field is never opened);
    /// city and country only when a value is generalized. `names` in the order wanted.
    public func evaluate<Failure: Error>(
        names: [FieldName], role: RoleName, purpose: Purpose, consent: ConsentState, at time: Date,
        value: (FieldName) throws(Failure) -> Sensitive<String>?
    ) throws(Failure) -> [EvaluatedField]? {
        guard let decisions = policy.table.decisions(role: role, purpose: purpose) else { return nil }
        var context: GeneralizeAction.Context?
        var evaluated: [EvaluatedField] = []
        evaluated.reserveCapacity(names.count)
        for name in names {
            guard let definition = policy.catalog.fields[name] else { continue }
            let decision = decisions[definition.category] ?? .denied(definition.category)
            let result = try decide(
                decision, field: name, consent: consent, at: time,
                value: { () throws(Failure) in try value(name) },
                context: { () throws(Failure) in
                    if let context { return context }
                    let made = GeneralizeAction.Context(city: try value("city")?.unsafeValue, country: try value("country")?.unsafeValue)
                    context = made
                    return made
                })
            if let result { evaluated.append(result) }
        }
        return evaluated
    }

    /// The decision for any category (event attributes, aggregates).
    public func decision(role: RoleName, purpose: Purpose, category: DataCategory) -> FieldDecision {
        policy.table.decisions(role: role, purpose: purpose)?[category] ?? .denied(category)
    }

    /// Whether a value of `category` may be shown as it is (used for aggregates and event attributes).
    public func shows(_ category: DataCategory, role: RoleName, purpose: Purpose, consent: ConsentState, at time: Date) -> Bool {
        let d = decision(role: role, purpose: purpose, category: category)
        guard d.action == .show else { return false }
        return d.requiresConsent.map { consent.isPermitted($0, at: time) } ?? true
    }

    public func apply(
        _ decision: FieldDecision, field: FieldName, value: Sensitive<String>, consent: ConsentState,
        context: GeneralizeAction.Context, at time: Date
    ) -> EvaluatedField {
        // Never nil: the value is there.
        decide(decision, field: field, consent: consent, at: time, value: { value }, context: { context })!
    }

    /// The decision applied; the value is asked for only when the action needs it, and nil
    /// comes back when it was needed and the subject has none.
    func decide<Failure: Error>(
        _ decision: FieldDecision, field: FieldName, consent: ConsentState, at time: Date,
        value: () throws(Failure) -> Sensitive<String>?, context: () throws(Failure) -> GeneralizeAction.Context
    ) throws(Failure) -> EvaluatedField? {
        func result(_ action: PolicyAction, _ reason: String, _ shown: String?) -> EvaluatedField {
            EvaluatedField(field: field, decision: decision, action: action, reason: reason, value: shown.map(Sensitive.init))
        }
        guard decision.rule != nil else { return result(.redact, "no_rule", nil) }
        if let purpose = decision.requiresConsent, !consent.isPermitted(purpose, at: time) {
            return result(.redact, "no_consent", nil)
        }
        if case .redact = decision.action { return result(.redact, "rule", nil) }
        guard let raw = try value()?.unsafeValue else { return nil }
        switch decision.action {
        case .show: return result(.show, "rule", raw)
        case .redact: return result(.redact, "rule", nil)
        case .mask(let kind): return result(decision.action, "rule", MaskAction.apply(kind, to: raw))
        case .hash: return result(.hash, "rule", pseudonym(field, raw))
        case .generalize(let to):
            guard let general = GeneralizeAction.apply(to, to: raw, context: try context()) else {
                return result(.redact, "nothing_to_generalize", nil)
            }
            return result(decision.action, "rule", general)
        }
    }
}

import Catalog
import Foundation
import Storage
import VaultModel

/// The 360 view of one subject for one role and purpose.
public struct SubjectView: Sendable {
    public let subjectID: SubjectID
    public let role: RoleName
    public let purpose: Purpose
    public let policyVersion: String
    public let restricted: Bool
    public let fields: [FieldName: Sensitive<String>]
    /// nil when the role may not see behavioural figures.
    public let aggregates: ProfileAggregates?
    public let sources: [SourceName]
}

public enum ViewError: Error, Sendable, CustomStringConvertible {
    case purposeNotHeld(role: RoleName, purpose: Purpose)
    case notFound
    public var description: String {
        switch self {
        case .purposeNotHeld(let role, let purpose): "role \(role) does not hold purpose \(purpose)"
        case .notFound: "no such subject"
        }
    }
}

/// Builds role-scoped views.
///
/// Until the policy engine lands (role rules per data category), this applies the
/// foundation rule: `compliance` sees every golden value; every other role, `admin`
/// included (separation of duties), sees no personal value. Deny by default.
public struct ViewService: Sendable {
    let reader: ProfileReader
    let bundle: PolicyBundle
    let audit: AuditLog

    public init(reader: ProfileReader, bundle: PolicyBundle, audit: AuditLog) {
        self.reader = reader
        self.bundle = bundle
        self.audit = audit
    }

    /// The view, audited (fields shown, policy version) before it is returned: if the audit
    /// entry can't be written, the view is not served.
    public func view(_ id: SubjectID, role: RoleName, purpose: Purpose, caller: Caller) async throws -> SubjectView {
        let caller = caller.reading(for: purpose)
        guard bundle.roles.role(role, holds: purpose) else {
            try await audit.record(caller.draft("subject.view", subjects: [id.description], policyVersion: bundle.version,
                                                outcome: "denied", detail: "purpose not held by role"))
            throw ViewError.purposeNotHeld(role: role, purpose: purpose)
        }
        guard let profile = try await reader.read(id) else {
            try await audit.record(caller.draft("subject.view", subjects: [id.description], policyVersion: bundle.version,
                                                outcome: "refused", detail: "no such subject"))
            throw ViewError.notFound
        }
        let seesPersonalData = role == .compliance
        var fields: [FieldName: Sensitive<String>] = [:]
        if seesPersonalData {
            for (name, value) in profile.fields { fields[name] = value.golden.value }
        }
        try await audit.record(caller.draft("subject.view", subjects: [profile.subjectID.description],
                                            fields: fields.keys.map(\.rawValue).sorted(), policyVersion: bundle.version))
        return SubjectView(subjectID: profile.subjectID, role: role, purpose: purpose, policyVersion: bundle.version,
                           restricted: profile.restricted, fields: fields,
                           aggregates: seesPersonalData ? ProfileAggregates(events: profile.events) : nil,
                           sources: profile.sources)
    }
}

import Foundation
import VaultModel

/// Lawful bases of GDPR Art. 6(1).
public enum LawfulBasis: String, Sendable, Codable, CaseIterable {
    case consent
    case contract
    case legalObligation = "legal_obligation"
    case vitalInterests = "vital_interests"
    case publicTask = "public_task"
    case legitimateInterests = "legitimate_interests"
}

/// What a consent event says about a purpose.
public enum ConsentStatus: String, Sendable, Codable, CaseIterable {
    case granted, denied, withdrawn
}

/// One entry of a subject's consent ledger. Entries are only ever appended.
public struct ConsentEvent: Sendable, Equatable {
    public let purpose: Purpose
    public let status: ConsentStatus
    public let lawfulBasis: LawfulBasis
    public let jurisdiction: String?
    /// Where the consent was given: a channel (`web_form`, `phone`) or a source system.
    public let channel: String?
    /// When the subject gave (or withdrew) it.
    public let occurredAt: Date
    public let expiresAt: Date?
    public let noticeVersion: String?
    /// A reference to the proof (a form submission id, a call recording id); sealed at rest.
    public let evidence: Sensitive<String>?
    /// Ledger order, to break ties between events of the same instant.
    public let sequence: Int64

    public init(
        purpose: Purpose, status: ConsentStatus, lawfulBasis: LawfulBasis, jurisdiction: String? = nil, channel: String? = nil,
        occurredAt: Date, expiresAt: Date? = nil, noticeVersion: String? = nil, evidence: Sensitive<String>? = nil, sequence: Int64 = 0
    ) {
        self.purpose = purpose
        self.status = status
        self.lawfulBasis = lawfulBasis
        self.jurisdiction = jurisdiction
        self.channel = channel
        self.occurredAt = occurredAt
        self.expiresAt = expiresAt
        self.noticeVersion = noticeVersion
        self.evidence = evidence
        self.sequence = sequence
    }

    public static func == (l: ConsentEvent, r: ConsentEvent) -> Bool {
        l.purpose == r.purpose && l.status == r.status && l.lawfulBasis == r.lawfulBasis && l.occurredAt == r.occurredAt && l.sequence == r.sequence
    }
}

import VaultModel

/// Lawful bases of GDPR Art. 6(1), the vocabulary the consent ledger records.
///
/// The ledger itself (events, derived state, expiry, GPC) is the consent issue's work; the
/// foundation only fixes the vocabulary so the wire and storage can rely on it.
public enum LawfulBasis: String, Sendable, Codable, CaseIterable {
    case consent
    case contract
    case legalObligation = "legal_obligation"
    case vitalInterests = "vital_interests"
    case publicTask = "public_task"
    case legitimateInterests = "legitimate_interests"
}

import Foundation
import VaultModel

/// One observed value of a field, with its provenance.
public struct ObservedValue: Sendable {
    public let value: Sensitive<String>
    public let source: SourceName
    public let observedAt: Date
    public let trustRank: Int

    public init(value: Sensitive<String>, source: SourceName, observedAt: Date, trustRank: Int) {
        self.value = value
        self.source = source
        self.observedAt = observedAt
        self.trustRank = trustRank
    }
}

/// The golden value of a field and the alternatives other sources hold.
public struct SurvivingValue: Sendable {
    public let golden: ObservedValue
    public let alternatives: [ObservedValue]
}

/// Picks one value per field when sources disagree: the most trusted source (lowest rank)
/// wins, then the most recent observation, then the source name (so the choice is stable).
public enum Survivorship {
    /// The reserved source of values rectified through a data-subject request.
    public static let rectificationSource = "dsr"

    public static func choose(_ candidates: [ObservedValue]) -> SurvivingValue? {
        let ordered = candidates.sorted { a, b in
            if a.trustRank != b.trustRank { return a.trustRank < b.trustRank }
            if a.observedAt != b.observedAt { return a.observedAt > b.observedAt }
            return a.source < b.source
        }
        guard var golden = ordered.first else { return nil }
        // A value rectified by a data-subject request outranks every source, until a source
        // observes a newer value (the person may have changed it since).
        if golden.source.rawValue == rectificationSource,
            let newer = ordered.first(where: { $0.source.rawValue != rectificationSource && $0.observedAt > golden.observedAt })
        {
            golden = newer
        }
        // Alternatives: distinct values not equal to the golden one.
        var seen: Set<String> = [golden.value.unsafeValue]
        var alternatives: [ObservedValue] = []
        for candidate in ordered where seen.insert(candidate.value.unsafeValue).inserted {
            alternatives.append(candidate)
        }
        return SurvivingValue(golden: golden, alternatives: alternatives)
    }
}

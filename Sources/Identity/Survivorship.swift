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
        guard let index = goldenIndex(candidates, source: \.source, observedAt: \.observedAt, trustRank: \.trustRank) else { return nil }
        let golden = candidates[index]
        let ordered = candidates.sorted { precedes(($0.trustRank, $0.observedAt, $0.source), ($1.trustRank, $1.observedAt, $1.source)) }
        // Alternatives: distinct values not equal to the golden one.
        var seen: Set<String> = [golden.value.unsafeValue]
        var alternatives: [ObservedValue] = []
        for candidate in ordered where seen.insert(candidate.value.unsafeValue).inserted {
            alternatives.append(candidate)
        }
        return SurvivingValue(golden: golden, alternatives: alternatives)
    }

    /// Which of `candidates` is golden, decided on metadata alone (trust rank, time, source), so
    /// a view opens only the value it shows.
    public static func goldenIndex<T>(
        _ candidates: [T], source: (T) -> SourceName, observedAt: (T) -> Date, trustRank: (T) -> Int
    ) -> Int? {
        func key(_ i: Int) -> (Int, Date, SourceName) { (trustRank(candidates[i]), observedAt(candidates[i]), source(candidates[i])) }
        let ordered = candidates.indices.sorted { precedes(key($0), key($1)) }
        guard let first = ordered.first else { return nil }
        // A value rectified by a data-subject request outranks every source, until a source
        // observes a newer value (the person may have changed it since).
        if source(candidates[first]).rawValue == rectificationSource,
            let newer = ordered.first(where: {
                source(candidates[$0]).rawValue != rectificationSource && observedAt(candidates[$0]) > observedAt(candidates[first])
            })
        {
            return newer
        }
        return first
    }

    /// The most trusted source (lowest rank) first, then the most recent observation, then the source name.
    static func precedes(_ a: (rank: Int, observedAt: Date, source: SourceName), _ b: (rank: Int, observedAt: Date, source: SourceName)) -> Bool {
        if a.rank != b.rank { return a.rank < b.rank }
        if a.observedAt != b.observedAt { return a.observedAt > b.observedAt }
        return a.source < b.source
    }
}

import VaultModel

/// Identity resolution, decided once for both stores and the planner: what one record
/// resolves to, given what its transaction read. Pure and value-typed; each store reads
/// (`MatchReads`), calls `SubjectMatcher.plan` and applies the `MergePlan` it returns, the way
/// both call `RewrapWalk` for a master-key rewrap.
///
/// The rules, in order:
/// 1. a record carrying any blind index of an erased person is suppressed (nothing stored);
/// 2. its candidates are the subject already holding its source key, the subject it is
///    attached to (rectified values) and every subject sharing one of its identifiers;
/// 3. none: it creates its minted subject (or links to its planned key owner's survivor);
///    one: it links to it; more: they merge into the oldest (then lowest id), and a
///    restriction of processing on any of them carries over to the survivor;
/// 4. a minted subject that resolved elsewhere is kept as a key alias of the target (it holds
///    the data key the values were sealed under);
/// 5. values sealed for a subject that neither is nor was merged into the target, or under a
///    data key the owner no longer holds, or attached to a subject erased meanwhile, make the
///    plan stale: the pipeline plans again;
/// 6. an older observation never overwrites a newer one; an identifier follows its value.
public enum SubjectMatcher {
    /// The candidates of rule 2, each once, in the planner's order of preference (attached,
    /// then the source key's holder, then identifier matches).
    public static func candidates(existing: SubjectID?, attached: SubjectID?, identifierMatches: some Sequence<SubjectID>) -> [SubjectID] {
        var seen: Set<SubjectID> = []
        var ordered: [SubjectID] = []
        for id in [attached, existing].compactMap({ $0 }) + Array(identifierMatches) where seen.insert(id).inserted {
            ordered.append(id)
        }
        return ordered
    }

    /// The candidates of the record as its transaction read them.
    public static func candidates(_ reads: MatchReads) -> [SubjectID] {
        var attached: SubjectID?
        if case .to(let id) = reads.attachment { attached = id }
        return candidates(existing: reads.existing?.subject, attached: attached, identifierMatches: reads.identifierMatches)
    }

    /// What to write for `record`. `reads.subjects` must hold the facts of every candidate when
    /// there is more than one (the merge survivor is chosen from them); otherwise it may be empty.
    public static func plan(_ record: MatchRecord, _ reads: MatchReads) -> MatchDecision {
        if reads.suppressed { return .suppressed }
        if case .gone = reads.attachment { return .stale }
        let candidates = candidates(reads)
        var ownerCanonical: SubjectID?
        if !record.minted {
            guard case .holdsKey(let canonical) = reads.owner else { return .stale }
            ownerCanonical = canonical
        }

        let target: SubjectID
        let kind: IngestOutcomeKind
        var losers: [SubjectID] = []
        switch candidates.count {
        case 0:
            target = ownerCanonical ?? record.owner
            kind = record.minted ? .created : .linked
        case 1:
            target = candidates[0]
            kind = .linked
        default:
            let ranked = candidates.sorted { a, b in
                let ca = reads.subjects[a]?.createdAt ?? .max
                let cb = reads.subjects[b]?.createdAt ?? .max
                return ca != cb ? ca < cb : a.description < b.description
            }
            target = ranked[0]
            losers = Array(ranked.dropFirst())
            kind = .merged
        }
        // Rule 5: the values were sealed under the owner's data key; stored under a subject the
        // owner is no part of, they would make that profile unreadable.
        // The merges of this plan point the losers (and what was merged into them) at the target.
        if !record.minted, record.owner != target, let canonical = ownerCanonical, canonical != target, !losers.contains(canonical) {
            return .stale
        }

        let restrictTarget = reads.subjects[target]?.restricted != true && losers.contains { reads.subjects[$0]?.restricted == true }
        let recordWrite: RecordWrite
        var written: Set<FieldName> = []
        if let existing = reads.existing {
            recordWrite = .update(recordID: existing.recordID, movesFrom: existing.subject == target ? nil : existing.subject)
            for field in record.fields where (existing.observedAt[field] ?? .min) <= record.observedAt { written.insert(field) }
        } else {
            recordWrite = .insert
            written = Set(record.fields)
        }
        return .resolved(
            MergePlan(
                target: target, kind: kind, mergedLosers: losers, restrictTarget: restrictTarget,
                keyAliasOf: record.minted && target != record.owner ? record.owner : nil,
                record: recordWrite, writtenFields: written))
    }

    /// The key owner the planner seals a record for: the first candidate whose data key it holds
    /// or can read, or nil (a subject is minted for it).
    public static func keyOwner(among candidates: [SubjectID], hasKey: (SubjectID) -> Bool) -> SubjectID? {
        candidates.first(where: hasKey)
    }
}

/// The record as planned, reduced to what its resolution depends on.
public struct MatchRecord: Sendable {
    /// The subject whose data key sealed the values.
    public let owner: SubjectID
    /// Whether `owner` was minted for this record (not yet in the store).
    public let minted: Bool
    /// When the source observed the values, in milliseconds since 1970.
    public let observedAt: Int64
    public let fields: [FieldName]

    public init(owner: SubjectID, minted: Bool, observedAt: Int64, fields: [FieldName]) {
        self.owner = owner
        self.minted = minted
        self.observedAt = observedAt
        self.fields = fields
    }
}

/// What a record's transaction read before deciding.
public struct MatchReads: Sendable {
    /// Any of its blind indexes (source key or identifier) belongs to an erased person.
    public var suppressed = false
    /// The record already held under this source key.
    public var existing: ExistingRecord?
    public var attachment: Attachment = .none
    /// Subjects sharing one of its identifiers.
    public var identifierMatches: [SubjectID] = []
    /// The planned key owner now (ignored for a minted one).
    public var owner: OwnerState = .gone
    /// Creation and restriction of candidates, by id (read when there is more than one).
    public var subjects: [SubjectID: SubjectFacts] = [:]

    public init(
        suppressed: Bool = false, existing: ExistingRecord? = nil, attachment: Attachment = .none,
        identifierMatches: [SubjectID] = [], owner: OwnerState = .gone, subjects: [SubjectID: SubjectFacts] = [:]
    ) {
        self.suppressed = suppressed
        self.existing = existing
        self.attachment = attachment
        self.identifierMatches = identifierMatches
        self.owner = owner
        self.subjects = subjects
    }

    public struct ExistingRecord: Sendable {
        public let recordID: Int64
        public let subject: SubjectID
        /// The observation time of each stored value of the record, in milliseconds.
        public let observedAt: [FieldName: Int64]
        public init(recordID: Int64, subject: SubjectID, observedAt: [FieldName: Int64] = [:]) {
            self.recordID = recordID
            self.subject = subject
            self.observedAt = observedAt
        }
    }

    /// The subject a record is attached to (rectification), as the transaction found it.
    public enum Attachment: Sendable {
        case none
        /// Its canonical subject (itself, or the one it was merged into).
        case to(SubjectID)
        /// Erased meanwhile.
        case gone
    }

    public enum OwnerState: Sendable {
        /// Erased meanwhile, or its data key changed since the plan sealed under it.
        case gone
        /// Still holds the data key the plan sealed under; `canonical` is the subject it is now
        /// (itself, or the survivor it was merged into).
        case holdsKey(canonical: SubjectID)
    }
}

public struct SubjectFacts: Sendable {
    /// When the subject was created, in milliseconds: the oldest candidate survives a merge.
    public let createdAt: Int64
    public let restricted: Bool
    public init(createdAt: Int64, restricted: Bool) {
        self.createdAt = createdAt
        self.restricted = restricted
    }
}

public enum MatchDecision: Sendable {
    /// An erased person's record: nothing is stored.
    case suppressed
    /// The plan no longer holds (see rule 5): plan again.
    case stale
    case resolved(MergePlan)
}

/// What a store writes for one record, in this order: the minted subject (if any), the merges,
/// the key alias, the record, its written values and their identifiers.
public struct MergePlan: Sendable, Equatable {
    /// The subject the record belongs to.
    public let target: SubjectID
    public let kind: IngestOutcomeKind
    /// Subjects merged into `target`, in order: their rows move to it, they (and whatever was
    /// merged into them) point at it, and the lineage records which source records moved.
    public let mergedLosers: [SubjectID]
    /// A loser was restricted and the survivor was not: it becomes restricted.
    public let restrictTarget: Bool
    /// The minted subject that resolved to another: it stays as an alias of `target`.
    public let keyAliasOf: SubjectID?
    public let record: RecordWrite
    /// Fields whose value is written (not older than the stored one); their identifiers follow.
    public let writtenFields: Set<FieldName>
}

extension MergePlan {
    /// What the record resolved to, as its source and the pipeline are told.
    public var outcome: IngestOutcome { IngestOutcome(subjectID: target, kind: kind) }

    /// A merge's lineage as stored: the ids of the source records that moved, a JSON array, so
    /// a merge can be shown and undone later.
    public static func lineage(_ moved: [Int64]) -> String {
        "[" + moved.sorted().map(String.init).joined(separator: ",") + "]"
    }
}

public enum RecordWrite: Sendable, Equatable {
    case insert
    /// `movesFrom`: the record belonged to another subject; its older values move along.
    case update(recordID: Int64, movesFrom: SubjectID?)
}

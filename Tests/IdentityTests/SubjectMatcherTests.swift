import Foundation
import Identity
import Testing
import VaultModel

/// Identity resolution's decisions, without a database: each row is what a transaction read
/// and what the matcher must decide. The storage conformance suite checks that both stores
/// read and apply them.
@Suite("Subject matcher")
struct SubjectMatcherTests {
    // Subjects named by their creation order: `a` is the oldest.
    static let a = subject(1), b = subject(2), c = subject(3), minted = subject(9)
    static func subject(_ n: UInt8) -> SubjectID {
        SubjectID(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n)))
    }
    static let facts: [SubjectID: SubjectFacts] = [
        a: .init(createdAt: 100, restricted: false), b: .init(createdAt: 200, restricted: false),
        c: .init(createdAt: 300, restricted: false),
    ]

    static func record(owner: SubjectID = minted, minted: Bool = true, observedAt: Int64 = 1_000, fields: [FieldName] = ["email"]) -> MatchRecord {
        MatchRecord(owner: owner, minted: minted, observedAt: observedAt, fields: fields)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let record: MatchRecord
        let reads: MatchReads
        let target: SubjectID
        let kind: IngestOutcomeKind
        var losers: [SubjectID] = []
        var alias: SubjectID? = nil
        var testDescription: String { name }
    }

    static let resolved: [Case] = [
        Case(
            name: "nothing matches: the minted subject is created", record: record(), reads: MatchReads(),
            target: minted, kind: .created),
        Case(
            name: "one identifier match: linked, the minted subject kept as a key alias",
            record: record(), reads: MatchReads(identifierMatches: [b]), target: b, kind: .linked, alias: minted),
        Case(
            name: "the same source key again: linked to its subject",
            record: record(owner: b, minted: false), reads: MatchReads(existing: .init(recordID: 7, subject: b), owner: .holdsKey(canonical: b)),
            target: b, kind: .linked),
        Case(
            name: "a bridge of three subjects: merged into the oldest",
            record: record(owner: c, minted: false),
            reads: MatchReads(identifierMatches: [c, b, a, b], owner: .holdsKey(canonical: c), subjects: facts),
            target: a, kind: .merged, losers: [b, c]),
        Case(
            name: "equal creation times: the lower id survives",
            record: record(owner: b, minted: false),
            reads: MatchReads(
                identifierMatches: [b, a], owner: .holdsKey(canonical: b),
                subjects: [a: .init(createdAt: 5, restricted: false), b: .init(createdAt: 5, restricted: false)]),
            target: a, kind: .merged, losers: [b]),
        Case(
            name: "a candidate without facts sorts last",
            record: record(owner: b, minted: false),
            reads: MatchReads(identifierMatches: [a, b], owner: .holdsKey(canonical: b), subjects: [b: .init(createdAt: 200, restricted: false)]),
            target: b, kind: .merged, losers: [a]),
        Case(
            name: "nothing matches and the owner was merged away: linked to its survivor",
            record: record(owner: c, minted: false), reads: MatchReads(owner: .holdsKey(canonical: a)), target: a, kind: .linked),
        Case(
            name: "attached to a subject: linked to its canonical one whatever the identifiers say",
            record: record(owner: a, minted: false), reads: MatchReads(attachment: .to(a), owner: .holdsKey(canonical: a)),
            target: a, kind: .linked),
        Case(
            name: "a minted record bridging two: merged, the minted subject aliased to the survivor",
            record: record(), reads: MatchReads(identifierMatches: [b, a], subjects: facts),
            target: a, kind: .merged, losers: [b], alias: minted),
    ]

    @Test("resolves", arguments: resolved)
    func resolves(_ c: Case) throws {
        guard case .resolved(let plan) = SubjectMatcher.plan(c.record, c.reads) else {
            Issue.record("not resolved")
            return
        }
        #expect(plan.target == c.target)
        #expect(plan.kind == c.kind)
        #expect(plan.mergedLosers == c.losers)
        #expect(plan.keyAliasOf == c.alias)
    }

    static let refused: [(String, MatchRecord, MatchReads, String)] = [
        ("an erased person's identifier", record(), MatchReads(suppressed: true, identifierMatches: [a]), "suppressed"),
        ("attached to a subject erased meanwhile", record(owner: a, minted: false), MatchReads(attachment: .gone, owner: .holdsKey(canonical: a)), "stale"),
        ("the owner was erased or its key rotated", record(owner: a, minted: false), MatchReads(owner: .gone), "stale"),
        (
            "sealed for a subject the record no longer resolves to", record(owner: c, minted: false),
            MatchReads(identifierMatches: [b], owner: .holdsKey(canonical: c)), "stale"
        ),
    ]

    @Test("refuses", arguments: refused)
    func refuses(_ row: (String, MatchRecord, MatchReads, String)) {
        switch SubjectMatcher.plan(row.1, row.2) {
        case .suppressed: #expect(row.3 == "suppressed", "\(row.0)")
        case .stale: #expect(row.3 == "stale", "\(row.0)")
        case .resolved(let plan): Issue.record("\(row.0): resolved to \(plan.target)")
        }
    }

    @Test("an owner that is one of the merged losers still resolves to the survivor")
    func ownerAmongLosers() throws {
        let plan = try #require(
            resolvedPlan(
                Self.record(owner: Self.b, minted: false),
                MatchReads(identifierMatches: [Self.b, Self.a], owner: .holdsKey(canonical: Self.b), subjects: Self.facts)))
        #expect(plan.target == Self.a)
    }

    @Test(
        "a restriction on a loser carries over to the survivor",
        arguments: [(false, false, false), (true, false, true), (false, true, false), (true, true, false)])
    func restrictionCarries(_ row: (loserRestricted: Bool, winnerRestricted: Bool, expected: Bool)) throws {
        let facts: [SubjectID: SubjectFacts] = [
            Self.a: .init(createdAt: 1, restricted: row.winnerRestricted),
            Self.b: .init(createdAt: 2, restricted: row.loserRestricted),
        ]
        let plan = try #require(
            resolvedPlan(
                Self.record(owner: Self.b, minted: false),
                MatchReads(identifierMatches: [Self.a, Self.b], owner: .holdsKey(canonical: Self.b), subjects: facts)))
        #expect(plan.restrictTarget == row.expected)
    }

    @Test(
        "an older observation never overwrites a newer one; equal times and new fields are written",
        arguments: [(500, true), (1_000, true), (1_500, false), (nil, true)] as [(Int64?, Bool)])
    func olderObservationKept(_ row: (stored: Int64?, written: Bool)) throws {
        let observed: [FieldName: Int64] = row.stored.map { ["email": $0] } ?? [:]
        let plan = try #require(
            resolvedPlan(
                Self.record(owner: Self.a, minted: false, observedAt: 1_000, fields: ["email", "phone"]),
                MatchReads(
                    existing: .init(recordID: 1, subject: Self.a, observedAt: observed.merging(["phone": 1]) { x, _ in x }),
                    owner: .holdsKey(canonical: Self.a))))
        #expect(plan.writtenFields.contains("email") == row.written)
        #expect(plan.writtenFields.contains("phone"))
        #expect(plan.record == .update(recordID: 1, movesFrom: nil))
    }

    @Test("a record that moves to another subject takes its values along")
    func recordMoves() throws {
        let plan = try #require(
            resolvedPlan(
                Self.record(owner: Self.b, minted: false),
                MatchReads(
                    existing: .init(recordID: 3, subject: Self.b), identifierMatches: [Self.a],
                    owner: .holdsKey(canonical: Self.b), subjects: Self.facts)))
        #expect(plan.target == Self.a)
        #expect(plan.record == .update(recordID: 3, movesFrom: Self.b))
    }

    @Test("the planner's candidates: attached, then the source key's holder, then identifier matches, each once")
    func candidateOrder() {
        let ordered = SubjectMatcher.candidates(existing: Self.b, attached: Self.c, identifierMatches: [Self.a, Self.b, Self.c, Self.a])
        #expect(ordered == [Self.c, Self.b, Self.a])
        #expect(SubjectMatcher.keyOwner(among: ordered, hasKey: { $0 != Self.c }) == Self.b)
    }

    @Test("lineage is the sorted ids of the moved records")
    func lineage() {
        #expect(MergePlan.lineage([3, 1, 2]) == "[1,2,3]")
        #expect(MergePlan.lineage([]) == "[]")
    }

    func resolvedPlan(_ record: MatchRecord, _ reads: MatchReads) -> MergePlan? {
        if case .resolved(let plan) = SubjectMatcher.plan(record, reads) { return plan }
        return nil
    }
}

/// A request body's top-level member names. A member the body doesn't define is refused
/// (`JSONBody.decode`), not silently dropped: a client that misspells `identifers` or sends
/// `dry-run` for `dry_run` would otherwise get an answer to a question it didn't ask.
/// `KnownMembersTests` checks each list against the type's encoding.
public protocol KnownMembers {
    static var members: Set<String> { get }
}

extension IngestRecordsRequest: KnownMembers { public static let members: Set<String> = ["records"] }
extension IngestEventsRequest: KnownMembers { public static let members: Set<String> = ["events"] }
extension LookupRequest: KnownMembers { public static let members: Set<String> = ["identifiers", "source_record"] }
extension CreateTokenRequest: KnownMembers { public static let members: Set<String> = ["principal", "role", "source"] }
extension BulkConsentsRequest: KnownMembers { public static let members: Set<String> = ["consents"] }
extension PolicyFilesBody: KnownMembers { public static let members: Set<String> = ["files", "forced_past_failing_tests"] }
extension OpenRequestBody: KnownMembers {
    public static let members: Set<String> = ["kind", "regulation", "subject_id", "identifiers", "received_at", "purposes", "fields"]
}
extension VerifyRequestBody: KnownMembers { public static let members: Set<String> = ["method", "evidence"] }
extension ReasonBody: KnownMembers { public static let members: Set<String> = ["reason"] }
extension RetentionRunBody: KnownMembers { public static let members: Set<String> = ["dry_run"] }

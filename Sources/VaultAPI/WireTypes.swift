import Foundation
import VaultModel

// Wire types of the v1 HTTP API, shared by the server, vaultctl and the tests.
// JSON member names are snake_case exactly as in PRODUCT.md §12.

public struct IngestRecordsRequest: Codable, Sendable {
    /// Raw records: validated one by one so errors can name index and field.
    public let records: [JSONValue]
    public init(records: [JSONValue]) { self.records = records }
}

public struct IngestRecordResult: Codable, Sendable, Equatable {
    public let key: String
    /// Absent when the outcome is `suppressed` (an erased person: nothing was stored).
    public let subject_id: String?
    public let outcome: String
    public init(key: String, subject_id: String?, outcome: String) {
        self.key = key
        self.subject_id = subject_id
        self.outcome = outcome
    }
}

public struct IngestRecordsResponse: Codable, Sendable {
    public let results: [IngestRecordResult]
    public init(results: [IngestRecordResult]) { self.results = results }
}

public struct IngestEventsRequest: Codable, Sendable {
    public let events: [JSONValue]
    public init(events: [JSONValue]) { self.events = events }
}

public struct IngestEventResult: Codable, Sendable, Equatable {
    public let id: String
    public let outcome: String
    public init(id: String, outcome: String) {
        self.id = id
        self.outcome = outcome
    }
}

public struct IngestEventsResponse: Codable, Sendable {
    public let results: [IngestEventResult]
    public init(results: [IngestEventResult]) { self.results = results }
}

/// Exactly one of `identifiers` or `source_record`.
public struct LookupRequest: Codable, Sendable {
    public let identifiers: [String: JSONValue]?
    public let source_record: SourceRecordReference?
    public init(identifiers: [String: JSONValue]? = nil, source_record: SourceRecordReference? = nil) {
        self.identifiers = identifiers
        self.source_record = source_record
    }
}

/// A record of a source system, by its key there (a customer number).
public struct SourceRecordReference: Codable, Sendable {
    public let source: String
    public let key: String
    public init(source: String, key: String) {
        self.source = source
        self.key = key
    }
}

/// `GET /v1/whoami`: the caller's own token, as the vault sees it.
public struct WhoAmIBody: Codable, Sendable, Equatable {
    public let principal: String
    public let token_id: String
    /// A role token's role and the purposes it may read with (an ingest token has neither).
    public let role: String?
    public let purposes: [String]?
    /// An ingest token's source.
    public let source: String?

    public init(principal: String, token_id: String, role: String? = nil, purposes: [String]? = nil, source: String? = nil) {
        self.principal = principal
        self.token_id = token_id
        self.role = role
        self.purposes = purposes
        self.source = source
    }
}

public struct LookupResponse: Codable, Sendable {
    public let subject_ids: [String]
    public init(subject_ids: [String]) { self.subject_ids = subject_ids }
}

/// Figures from the subject's events; each is absent when the role may not see its category.
public struct AggregatesBody: Codable, Sendable, Equatable {
    public let order_count: Int?
    public let lifetime_value: Double?
    public let open_tickets: Int?
    public let last_contact: String?
    public init(order_count: Int?, lifetime_value: Double?, open_tickets: Int?, last_contact: String?) {
        self.order_count = order_count
        self.lifetime_value = lifetime_value
        self.open_tickets = open_tickets
        self.last_contact = last_contact
    }
}

/// The redacted 360 view. Redacted fields are absent from `fields`.
public struct SubjectViewBody: Codable, Sendable {
    public let subject_id: String
    public let role: String
    public let purpose: String
    public let policy_version: String
    public let restricted: Bool
    public let fields: [String: String]
    public let aggregates: AggregatesBody?
    public let sources: [String]
    /// With `?explain=true`: for every catalog field the subject has, how it was decided.
    public let decisions: [String: DecisionBody]?
    public init(
        subject_id: String, role: String, purpose: String, policy_version: String, restricted: Bool,
        fields: [String: String], aggregates: AggregatesBody?, sources: [String], decisions: [String: DecisionBody]? = nil
    ) {
        self.decisions = decisions
        self.subject_id = subject_id
        self.role = role
        self.purpose = purpose
        self.policy_version = policy_version
        self.restricted = restricted
        self.fields = fields
        self.aggregates = aggregates
        self.sources = sources
    }
}

/// How one field was decided: the action applied, the field's category, the rule (file:line)
/// and the reason (`rule`, `no_rule`, `no_consent`, `nothing_to_generalize`).
public struct DecisionBody: Codable, Sendable, Equatable {
    public let action: String
    public let category: String
    public let rule: String?
    public let reason: String
    public init(action: String, category: String, rule: String?, reason: String) {
        self.action = action
        self.category = category
        self.rule = rule
        self.reason = reason
    }
}

public struct TimelineEntryBody: Codable, Sendable {
    public let type: String
    public let source: String
    public let occurred_at: String
    public let attributes: [String: JSONValue]
    public init(type: String, source: String, occurred_at: String, attributes: [String: JSONValue]) {
        self.type = type
        self.source = source
        self.occurred_at = occurred_at
        self.attributes = attributes
    }
}

public struct TimelineBody: Codable, Sendable {
    public let subject_id: String
    public let events: [TimelineEntryBody]
    /// Pass as `cursor` for the next page; absent on the last page.
    public let next_cursor: String?
    public init(subject_id: String, events: [TimelineEntryBody], next_cursor: String?) {
        self.subject_id = subject_id
        self.events = events
        self.next_cursor = next_cursor
    }
}

public struct CreateTokenRequest: Codable, Sendable {
    public let principal: String
    public let role: String?
    public let source: String?
    public init(principal: String, role: String? = nil, source: String? = nil) {
        self.principal = principal
        self.role = role
        self.source = source
    }
}

public struct TokenBody: Codable, Sendable, Equatable {
    public let id: String
    public let principal: String
    public let role: String?
    public let source: String?
    public let created_at: String
    public let revoked_at: String?
    /// True while the grant waits for a second principal's approval (dual control).
    public let awaiting_approval: Bool?
    public init(id: String, principal: String, role: String?, source: String?, created_at: String, revoked_at: String?, awaiting_approval: Bool? = nil) {
        self.awaiting_approval = awaiting_approval
        self.id = id
        self.principal = principal
        self.role = role
        self.source = source
        self.created_at = created_at
        self.revoked_at = revoked_at
    }
}

/// The answer to a token creation: the only time the token itself is shown.
public struct CreatedTokenBody: Codable, Sendable {
    public let id: String
    public let token: String
    public let principal: String
    public let role: String?
    public let source: String?
    /// True for a role that is shown personal values: audited as a privileged grant.
    public let privileged: Bool?
    /// True under dual control: the token works once a second principal approved it.
    public let awaiting_approval: Bool?
    public init(id: String, token: String, principal: String, role: String?, source: String?, privileged: Bool? = nil, awaiting_approval: Bool? = nil) {
        self.awaiting_approval = awaiting_approval
        self.id = id
        self.token = token
        self.principal = principal
        self.role = role
        self.source = source
        self.privileged = privileged
    }
}

public struct TokenListBody: Codable, Sendable {
    public let tokens: [TokenBody]
    public init(tokens: [TokenBody]) { self.tokens = tokens }
}

/// RFC 9457 problem details. `detail` never contains personal data.
public struct ProblemBody: Codable, Sendable, Equatable {
    /// One problem of many: an item of a batch (index, field) or of a policy bundle (file, line, rule).
    public struct Item: Codable, Sendable, Equatable {
        public let index: Int?
        public let field: String?
        public let type: String
        public let detail: String?
        public let file: String?
        public let line: Int?
        public let rule: String?
        public init(index: Int?, field: String?, type: String, detail: String?, file: String? = nil, line: Int? = nil, rule: String? = nil) {
            self.index = index
            self.field = field
            self.type = type
            self.detail = detail
            self.file = file
            self.line = line
            self.rule = rule
        }
    }
    public let type: String
    public let title: String
    public let status: Int
    public let detail: String?
    public let request_id: String?
    public let errors: [Item]?
    public init(type: String, title: String, status: Int, detail: String?, request_id: String?, errors: [Item]? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.request_id = request_id
        self.errors = errors
    }

    public static let typeBase = "https://profilevault.dev/problems/"
    /// The slug at the end of `type` (`unknown-field`).
    public var slug: String { type.hasPrefix(Self.typeBase) ? String(type.dropFirst(Self.typeBase.count)) : type }
}

public struct HealthBody: Codable, Sendable {
    public let status: String
    public init(status: String) { self.status = status }
}

/// One audit entry: ids, names and counts only, never personal values.
public struct AuditEntryBody: Codable, Sendable, Equatable {
    public let seq: Int64
    public let at: String
    public let request_id: String
    public let principal: String
    public let role: String?
    public let source: String?
    public let purpose: String?
    public let action: String
    public let subject_ids: [String]
    public let fields: [String]
    public let policy_version: String?
    public let outcome: String
    public let detail: String?
    public let hash: String
    /// `store` (writes, in their transactions) or `reads` (views, lookups, queries, refusals).
    public let chain: String
    public init(
        chain: String, seq: Int64, at: String, request_id: String, principal: String, role: String?, source: String?, purpose: String?,
        action: String, subject_ids: [String], fields: [String], policy_version: String?, outcome: String, detail: String?, hash: String
    ) {
        self.chain = chain
        self.seq = seq
        self.at = at
        self.request_id = request_id
        self.principal = principal
        self.role = role
        self.source = source
        self.purpose = purpose
        self.action = action
        self.subject_ids = subject_ids
        self.fields = fields
        self.policy_version = policy_version
        self.outcome = outcome
        self.detail = detail
        self.hash = hash
    }
}

public struct AuditPageBody: Codable, Sendable {
    public let entries: [AuditEntryBody]
    /// Pass as `after` to get the next page (`S.R`: the last sequence number listed of the store
    /// chain and of the reads chain); absent on the last page.
    public let next_after: String?
    public init(entries: [AuditEntryBody], next_after: String?) {
        self.entries = entries
        self.next_after = next_after
    }
}

public struct AuditVerifyBody: Codable, Sendable, Equatable {
    public let valid: Bool
    public let entries: Int64
    public let first_invalid: Int64?
    /// hash_mismatch, broken_link, sequence_gap, truncated, anchor_mismatch, anchor_signature
    public let problem: String?
    public let anchored_seq: Int64?
    /// The chain that failed (`store` or `reads`), when one did.
    public let chain: String?
    /// Each chain's own verdict.
    public let chains: [AuditChainVerifyBody]
    public init(
        valid: Bool, entries: Int64, first_invalid: Int64?, problem: String?, anchored_seq: Int64?, chain: String?, chains: [AuditChainVerifyBody]
    ) {
        self.chain = chain
        self.chains = chains
        self.valid = valid
        self.entries = entries
        self.first_invalid = first_invalid
        self.problem = problem
        self.anchored_seq = anchored_seq
    }
}

/// One audit chain's verdict.
public struct AuditChainVerifyBody: Codable, Sendable, Equatable {
    public let name: String
    public let valid: Bool
    public let entries: Int64
    public let first_invalid: Int64?
    public let problem: String?
    public let anchored_seq: Int64?
    public init(name: String, valid: Bool, entries: Int64, first_invalid: Int64?, problem: String?, anchored_seq: Int64?) {
        self.name = name
        self.valid = valid
        self.entries = entries
        self.first_invalid = first_invalid
        self.problem = problem
        self.anchored_seq = anchored_seq
    }
}

/// One consent event as shown. `evidence` is shown to compliance only.
public struct ConsentEventBody: Codable, Sendable, Equatable {
    public let purpose: String
    public let status: String
    public let lawful_basis: String
    public let jurisdiction: String?
    public let channel: String?
    public let occurred_at: String
    public let expires_at: String?
    public let notice_version: String?
    public let evidence: String?
    public init(
        purpose: String, status: String, lawful_basis: String, jurisdiction: String?, channel: String?, occurred_at: String,
        expires_at: String?, notice_version: String?, evidence: String?
    ) {
        self.purpose = purpose
        self.status = status
        self.lawful_basis = lawful_basis
        self.jurisdiction = jurisdiction
        self.channel = channel
        self.occurred_at = occurred_at
        self.expires_at = expires_at
        self.notice_version = notice_version
        self.evidence = evidence
    }
}

/// The current decision per purpose: `granted`, `denied`, `withdrawn` or `expired`.
public struct CurrentConsentBody: Codable, Sendable, Equatable {
    public let purpose: String
    public let status: String
    public let lawful_basis: String
    public let occurred_at: String
    public let expires_at: String?
    public init(purpose: String, status: String, lawful_basis: String, occurred_at: String, expires_at: String?) {
        self.purpose = purpose
        self.status = status
        self.lawful_basis = lawful_basis
        self.occurred_at = occurred_at
        self.expires_at = expires_at
    }
}

public struct ConsentsBody: Codable, Sendable {
    public let subject_id: String
    public let current: [CurrentConsentBody]
    public let history: [ConsentEventBody]
    public init(subject_id: String, current: [CurrentConsentBody], history: [ConsentEventBody]) {
        self.subject_id = subject_id
        self.current = current
        self.history = history
    }
}

public struct RecordedConsentsBody: Codable, Sendable {
    public let subject_id: String
    public let recorded: [ConsentEventBody]
    public init(subject_id: String, recorded: [ConsentEventBody]) {
        self.subject_id = subject_id
        self.recorded = recorded
    }
}

public struct BulkConsentsRequest: Codable, Sendable {
    public let consents: [JSONValue]
    public init(consents: [JSONValue]) { self.consents = consents }
}

public struct BulkConsentResult: Codable, Sendable, Equatable {
    public let index: Int
    public let subject_id: String
    public let recorded: Int
    public init(index: Int, subject_id: String, recorded: Int) {
        self.index = index
        self.subject_id = subject_id
        self.recorded = recorded
    }
}

public struct BulkConsentsResponse: Codable, Sendable {
    public let results: [BulkConsentResult]
    public init(results: [BulkConsentResult]) { self.results = results }
}

/// A policy bundle as files (`fields.yaml`, `roles.yaml`, …) and their contents.
public struct PolicyFilesBody: Codable, Sendable {
    public let files: [String: String]
    /// Set by `vaultctl policy apply --force` when the bundle's own tests failed: the apply is
    /// audited with the count.
    public let forced_past_failing_tests: Int?
    public init(files: [String: String], forcedPastFailingTests: Int? = nil) {
        self.files = files
        self.forced_past_failing_tests = forcedPastFailingTests
    }
}

public struct PolicyBody: Codable, Sendable {
    public let version: String
    public let digest: String
    public let applied_at: String?
    public let applied_by: String?
    public let files: [String: String]
    public init(version: String, digest: String, applied_at: String?, applied_by: String?, files: [String: String]) {
        self.version = version
        self.digest = digest
        self.applied_at = applied_at
        self.applied_by = applied_by
        self.files = files
    }
}

public struct PolicyAppliedBody: Codable, Sendable {
    public let version: String
    public let digest: String
    public let changed: Bool
    /// Per file, lines added (`+N: text`) and removed (`-N: text`).
    public let diff: [String: [String]]
    public init(version: String, digest: String, changed: Bool, diff: [String: [String]]) {
        self.version = version
        self.digest = digest
        self.changed = changed
        self.diff = diff
    }
}

public struct PolicyValidBody: Codable, Sendable {
    public let valid: Bool
    public let digest: String
    public init(valid: Bool, digest: String) {
        self.valid = valid
        self.digest = digest
    }
}

public struct PolicyVersionBody: Codable, Sendable {
    public let version: String
    public let digest: String
    public let applied_at: String
    public let applied_by: String
    public let diff: [String: [String]]
    public init(version: String, digest: String, applied_at: String, applied_by: String, diff: [String: [String]]) {
        self.version = version
        self.digest = digest
        self.applied_at = applied_at
        self.applied_by = applied_by
        self.diff = diff
    }
}

public struct PolicyHistoryBody: Codable, Sendable {
    public let versions: [PolicyVersionBody]
    public init(versions: [PolicyVersionBody]) { self.versions = versions }
}

public struct OpenRequestBody: Codable, Sendable {
    public let kind: String
    public let regulation: String
    public let subject_id: String?
    public let identifiers: [String: JSONValue]?
    /// When a request arrived by mail or phone: its real receipt time (audited).
    public let received_at: String?
    /// Objection: the purposes objected to.
    public let purposes: [String]?
    /// Rectification: corrected values.
    public let fields: [String: JSONValue]?
    public init(
        kind: String, regulation: String, subject_id: String? = nil, identifiers: [String: JSONValue]? = nil, received_at: String? = nil,
        purposes: [String]? = nil, fields: [String: JSONValue]? = nil
    ) {
        self.kind = kind
        self.regulation = regulation
        self.subject_id = subject_id
        self.identifiers = identifiers
        self.received_at = received_at
        self.purposes = purposes
        self.fields = fields
    }
}

public struct SubjectRequestBody: Codable, Sendable, Equatable {
    public let id: String
    public let kind: String
    public let regulation: String
    public let subject_id: String?
    public let status: String
    public let received_at: String
    public let due_at: String
    public let extended_due_at: String?
    public let extension_reason: String?
    public let overdue: Bool
    public let days_left: Int
    public let duplicate_of: String?
    public let verification_method: String?
    public let completed_at: String?
    public let rejected_reason: String?
    public let purposes: [String]
    public init(
        id: String, kind: String, regulation: String, subject_id: String?, status: String, received_at: String, due_at: String,
        extended_due_at: String?, extension_reason: String?, overdue: Bool, days_left: Int, duplicate_of: String?,
        verification_method: String?, completed_at: String?, rejected_reason: String?, purposes: [String]
    ) {
        self.id = id
        self.kind = kind
        self.regulation = regulation
        self.subject_id = subject_id
        self.status = status
        self.received_at = received_at
        self.due_at = due_at
        self.extended_due_at = extended_due_at
        self.extension_reason = extension_reason
        self.overdue = overdue
        self.days_left = days_left
        self.duplicate_of = duplicate_of
        self.verification_method = verification_method
        self.completed_at = completed_at
        self.rejected_reason = rejected_reason
        self.purposes = purposes
    }
}

extension SubjectRequestBody {
    /// The order a queue of requests is worked in, for the console and vaultctl alike: overdue
    /// first, then open ones, each by due date; closed ones last.
    public static func queueOrder(_ a: SubjectRequestBody, _ b: SubjectRequestBody) -> Bool {
        func rank(_ r: SubjectRequestBody) -> (Int, Int, String) {
            (r.overdue ? 0 : 1, r.status != "completed" && r.status != "rejected" ? 0 : 1, r.extended_due_at ?? r.due_at)
        }
        return rank(a) < rank(b)
    }

    /// The deadline as people read it: "31 days left", "1 day left", "17 days overdue"; nil once
    /// the request is closed. One wording for the console and vaultctl.
    public var dueLabel: String? {
        guard status != "completed" && status != "rejected" else { return nil }
        func days(_ n: Int) -> String { n == 1 ? "1 day" : "\(n) days" }
        if overdue { return "\(days(max(1, -days_left))) overdue" }
        return days_left == 0 ? "due today" : "\(days(days_left)) left"
    }
}

public struct SubjectRequestListBody: Codable, Sendable {
    public let requests: [SubjectRequestBody]
    public init(requests: [SubjectRequestBody]) { self.requests = requests }
}

public struct VerifyRequestBody: Codable, Sendable {
    public let method: String
    public let evidence: String?
    public init(method: String, evidence: String? = nil) {
        self.method = method
        self.evidence = evidence
    }
}

public struct ReasonBody: Codable, Sendable {
    public let reason: String
    public init(reason: String) { self.reason = reason }
}

public struct ReceiptNoticeBody: Codable, Sendable, Equatable {
    public let id: String
    public let source: String
    public let acked_at: String?
    public init(id: String, source: String, acked_at: String?) {
        self.id = id
        self.source = source
        self.acked_at = acked_at
    }
}

/// A signed erasure receipt: `signed` is the exact text the Ed25519 `signature` covers.
public struct ReceiptBody: Codable, Sendable {
    public let signed: String
    public let signature: String
    public let public_key: String
    /// Acknowledgement state of the notices now (not part of the signed text).
    public let notices: [ReceiptNoticeBody]
    public init(signed: String, signature: String, public_key: String, notices: [ReceiptNoticeBody]) {
        self.signed = signed
        self.signature = signature
        self.public_key = public_key
        self.notices = notices
    }
}

public struct OutboxNoticeBody: Codable, Sendable, Equatable {
    public let id: String
    public let request_id: String
    public let kind: String
    /// Your own record key, so you know which record to act on.
    public let key: String?
    public let created_at: String
    public init(id: String, request_id: String, kind: String, key: String?, created_at: String) {
        self.id = id
        self.request_id = request_id
        self.kind = kind
        self.key = key
        self.created_at = created_at
    }
}

public struct OutboxBody: Codable, Sendable {
    public let notices: [OutboxNoticeBody]
    public init(notices: [OutboxNoticeBody]) { self.notices = notices }
}

public struct KeysBody: Codable, Sendable {
    public struct Version: Codable, Sendable {
        public let version: Int
        public let state: String
        public let created_at: String
        /// Keys wrapped under this version now.
        public let keys: Int?
        public init(version: Int, state: String, created_at: String, keys: Int? = nil) {
            self.version = version
            self.state = state
            self.created_at = created_at
            self.keys = keys
        }
    }
    /// Ed25519 public key (base64) that signs receipts and audit anchors.
    /// Progress of re-wrapping keys under the active version.
    public struct Rewrap: Codable, Sendable {
        public let pending: Int
        public let total: Int
        public let rate_per_second: Double?
        public let eta_seconds: Double?
        public init(pending: Int, total: Int, rate_per_second: Double?, eta_seconds: Double?) {
            self.pending = pending
            self.total = total
            self.rate_per_second = rate_per_second
            self.eta_seconds = eta_seconds
        }
    }
    public let signing_public_key: String
    public let active_version: Int
    public let versions: [Version]
    public let rewrap: Rewrap?
    public init(signing_public_key: String, active_version: Int, versions: [Version], rewrap: Rewrap? = nil) {
        self.signing_public_key = signing_public_key
        self.active_version = active_version
        self.versions = versions
        self.rewrap = rewrap
    }
}

public struct RetentionRunBody: Codable, Sendable {
    public let dry_run: Bool?
    public init(dry_run: Bool?) { self.dry_run = dry_run }
}

/// What a retention sweep deleted (or would delete): counts per field and event type.
public struct RetentionReportBody: Codable, Sendable {
    public let dry_run: Bool
    public let fields: [String: Int]
    public let events: [String: Int]
    public let held_values: Int
    public init(dry_run: Bool, fields: [String: Int], events: [String: Int], held_values: Int) {
        self.dry_run = dry_run
        self.fields = fields
        self.events = events
        self.held_values = held_values
    }
}

/// Which law a request is made under; it sets the deadline rules.
public enum Regulation: String, Sendable, Codable, CaseIterable {
    case gdpr, ccpa
}

/// The kinds of data-subject request.
public enum RequestKind: String, Sendable, Codable, CaseIterable {
    case access, portability, erasure, rectification, restriction, objection
    case optOut = "opt_out"
}

/// What a notice in a source's outbox asks of it.
public enum NoticeKind: String, Sendable, Codable, CaseIterable {
    case erasure, rectification, restriction
    /// A restriction of processing ended: the source may process the person again.
    case restrictionLifted = "restriction_lifted"
}

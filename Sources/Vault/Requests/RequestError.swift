import Foundation

/// Why a data-subject request step was refused. Never contains personal data.
public enum RequestError: Error, Sendable, CustomStringConvertible {
    case notFound
    case invalidTransition(from: String, step: String)
    case unknownSubject
    case ambiguousIdentifiers(count: Int)
    case extensionNotAllowed(String)
    case notAvailable(String)
    case invalid([BatchIssue])
    /// The request's subject was erased since: nothing of them is left to export.
    case subjectErased

    public var description: String {
        switch self {
        case .notFound: "no request with this id"
        case .invalidTransition(let from, let step): "a request that is \(from) can't be moved by \(step)"
        case .unknownSubject: "no subject with this id"
        case .ambiguousIdentifiers(let count): "the identifiers designate \(count) subjects; open one request per subject id"
        case .extensionNotAllowed(let why): "the deadline can't be extended: \(why)"
        case .notAvailable(let why): why
        case .invalid(let issues): "\(issues.count) invalid member(s)"
        case .subjectErased: "the subject was erased since the request was completed; nothing of them is left to export"
        }
    }
}

import Synchronization
import VaultModel

/// The part of a subject's row that decides who sees whose values: the survivor it was merged
/// into (a view of it shows the survivor's) and whether its processing is restricted.
///
/// The database is untrusted: a writer clearing `restricted` would show a restricted person to
/// every role, and re-pointing `merged_into` would show one person's values under another's id.
/// So each header carries a tag under a key the database doesn't hold, written by the store
/// inside the transaction that changes it and checked wherever a store follows a merge or
/// reads a restriction. A header that fails is `RowIntegrityError.subject`, never served.
public struct SubjectHeader: Sendable, Equatable {
    public let id: SubjectID
    public let mergedInto: SubjectID?
    public let restricted: Bool

    public init(id: SubjectID, mergedInto: SubjectID?, restricted: Bool) {
        self.id = id
        self.mergedInto = mergedInto
        self.restricted = restricted
    }
}

/// Tags and checks subject headers: the vault's `RowAuthenticator`, handed to the store when the
/// vault opens (the key lives in vaultd's memory only).
public protocol SubjectHeaderAuthenticator: Sendable {
    func tag(_ header: SubjectHeader) -> [UInt8]
    /// Constant time; false for a missing tag.
    func verify(_ header: SubjectHeader, mac: [UInt8]?) -> Bool
}

/// Each store's holder of the authenticator: until the vault sets one (while its keys open),
/// headers are written untagged and read unchecked; the vault tags the untagged ones once
/// (`RowTagsInForce`) before serving.
public final class SubjectHeaderTags: Sendable {
    private let authenticator = Mutex<(any SubjectHeaderAuthenticator)?>(nil)

    public init() {}

    public func use(_ authenticator: any SubjectHeaderAuthenticator) { self.authenticator.withLock { $0 = authenticator } }

    /// The tag to store with `header`; nil before the vault set the authenticator.
    public func tag(_ header: SubjectHeader) -> [UInt8]? { authenticator.withLock { $0 }?.tag(header) }

    /// Checks a stored header (its columns and `mac`); returns it for chaining.
    @discardableResult
    public func check(_ header: SubjectHeader, mac: [UInt8]?) throws -> SubjectHeader {
        guard let authenticator = authenticator.withLock({ $0 }) else { return header }
        guard authenticator.verify(header, mac: mac) else { throw RowIntegrityError.subject }
        return header
    }
}

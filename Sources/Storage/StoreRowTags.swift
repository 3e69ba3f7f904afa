import Identity
import Synchronization
import VaultModel

/// A stored row whose columns decide who sees whose values, authenticated with a key the
/// database doesn't hold. The database is untrusted: a writer lifting a restriction, re-pointing
/// a merge, or moving a source record or an identifier to another person would otherwise show
/// one person's values under another's id, or make the next record of a person join someone
/// else. Each row kind names its domain and the fields its tag covers, once, here.
public protocol TaggedRow: Sendable {
    static var tagDomain: String { get }
    var tagFields: [String?] { get }
}

/// The part of a subject's row that decides who sees whose values: the survivor it was merged
/// into (a view of it shows the survivor's) and whether its processing is restricted.
public struct SubjectHeader: TaggedRow, Equatable {
    public let id: SubjectID
    public let mergedInto: SubjectID?
    public let restricted: Bool

    public init(id: SubjectID, mergedInto: SubjectID?, restricted: Bool) {
        self.id = id
        self.mergedInto = mergedInto
        self.restricted = restricted
    }

    public static let tagDomain = "subject/v1"
    public var tagFields: [String?] { [id.description, mergedInto?.description, restricted ? "1" : "0"] }
}

/// Which person a source's record belongs to (`source_records`: the row a record key resolves
/// through, and the one ingest updates when the source sends the record again).
public struct RecordLink: TaggedRow, Equatable {
    public let source: String
    public let keyIndex: [UInt8]
    public let subject: SubjectID

    public init(source: String, keyIndex: [UInt8], subject: SubjectID) {
        self.source = source
        self.keyIndex = keyIndex
        self.subject = subject
    }

    public static let tagDomain = "record-link/v1"
    public var tagFields: [String?] { [source, hex(keyIndex), subject.description] }
}

/// That a record asserts an identifier, and the person it links it to (`identifiers`: the rows
/// lookups and ingest's matching go through). The record is named by its source and key index,
/// which don't change, not by its row id.
public struct IdentifierLink: TaggedRow, Equatable {
    public let source: String
    public let keyIndex: [UInt8]
    public let field: String
    public let blindIndex: BlindIndex
    public let subject: SubjectID

    public init(source: String, keyIndex: [UInt8], field: String, blindIndex: BlindIndex, subject: SubjectID) {
        self.source = source
        self.keyIndex = keyIndex
        self.field = field
        self.blindIndex = blindIndex
        self.subject = subject
    }

    public static let tagDomain = "identifier-link/v1"
    public var tagFields: [String?] {
        [source, hex(keyIndex), field, String(blindIndex.version), hex(blindIndex.bytes), subject.description]
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Tags rows with the vault's key (`RowAuthenticator`, handed to the store when the vault
/// opens: the key lives in vaultd's memory only).
public protocol StoreRowAuthenticator: Sendable {
    func tag(domain: String, _ fields: [String?]) -> [UInt8]
    /// Constant time; false for a missing tag.
    func verify(domain: String, _ fields: [String?], mac: [UInt8]?) -> Bool
}

/// Each store's holder of the authenticator. The store writes tags inside the transactions that
/// change these rows (merges move them) and checks them wherever it reads them to decide. Until
/// the vault sets the authenticator (while its keys open), rows are written untagged and read
/// unchecked; the vault tags the untagged ones once (`RowTagsInForce`) before serving.
public final class StoreRowTags: Sendable {
    private let authenticator = Mutex<(any StoreRowAuthenticator)?>(nil)

    public init() {}

    public func use(_ authenticator: any StoreRowAuthenticator) { self.authenticator.withLock { $0 = authenticator } }

    /// The tag to store with `row`; nil before the vault set the authenticator.
    public func tag<Row: TaggedRow>(_ row: Row) -> [UInt8]? {
        authenticator.withLock { $0 }?.tag(domain: Row.tagDomain, row.tagFields)
    }

    /// Checks a stored row (its columns and `mac`); returns it for chaining. A mismatch is
    /// `RowIntegrityError.subject`: the row is never used.
    @discardableResult
    public func check<Row: TaggedRow>(_ row: Row, mac: [UInt8]?) throws -> Row {
        guard let authenticator = authenticator.withLock({ $0 }) else { return row }
        guard authenticator.verify(domain: Row.tagDomain, row.tagFields, mac: mac) else { throw RowIntegrityError.subject }
        return row
    }
}

extension SubjectID {
    /// A subject id as a store holds it: only its canonical text (lower case) is accepted. SQL
    /// compares ids as text, so a row whose id was rewritten in another case would pass its tag
    /// (which covers the parsed id) yet escape every query for the real one.
    public static func stored(_ text: String) -> SubjectID? {
        guard let id = SubjectID(text), id.description == text else { return nil }
        return id
    }
}

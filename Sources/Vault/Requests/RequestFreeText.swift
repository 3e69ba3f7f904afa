import Foundation
import Storage
import VaultCrypto

/// The free text officers write on a data-subject request (how the identity was verified, why
/// it was rejected or extended): "called back 415…, Mr X" names the person.
///
/// It is stored sealed under the vault's hold key (bound to the request and the column, so a
/// sealed text copied to another request or column fails to open) and deleted with the person
/// by the erasure (`SQLiteVaultStore.erase` / `PostgresVaultStore.erase` clear the columns of
/// every request about them). Sealed under the hold key rather than the subject's data key:
/// a request may name nobody yet, and a subject's key is replaced by a key rotation or merged
/// under another's; either way a copy in an older backup opens only as long as the master-key
/// version that wrapped the key is kept, like every other value of the person.
struct RequestFreeText {
    let key: SymmetricKey
    static let prefix = "pv-sealed:v1:"

    enum Column: String {
        case verificationMethod = "verification_method"
        case rejectedReason = "rejected_reason"
        case extensionReason = "extension_reason"
    }

    func seal(_ text: String?, request: UUID, column: Column) throws -> String? {
        guard let text else { return nil }
        return Self.prefix + Data(try Envelope.seal(Array(text.utf8), key: key, context: Self.context(request, column))).base64EncodedString()
    }

    /// The text; a value written before sealing existed is returned as it is.
    func open(_ stored: String?, request: UUID, column: Column) throws -> String? {
        guard let stored, stored.hasPrefix(Self.prefix) else { return stored }
        guard let sealed = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))) else { throw CryptoError.malformedCiphertext }
        return String(decoding: try Envelope.open(Array(sealed), key: key, context: Self.context(request, column)), as: UTF8.self)
    }

    /// `record` as stored: its free text sealed. Records in memory always hold plain text
    /// (every read opens them), so every value is sealed, whatever it starts with.
    func sealed(_ record: RequestRecord) throws -> RequestRecord {
        try sealing(record) { _ in true }
    }

    /// A record as stored before sealing existed: only its clear values are sealed.
    func sealedClearText(_ record: RequestRecord) throws -> RequestRecord {
        try sealing(record) { !$0.hasPrefix(Self.prefix) }
    }

    private func sealing(_ record: RequestRecord, _ needed: (String) -> Bool) throws -> RequestRecord {
        var r = record
        func seal(_ value: String?, _ column: Column) throws -> String? {
            guard let value, needed(value) else { return value }
            return try self.seal(value, request: r.id, column: column)
        }
        r.verificationMethod = try seal(r.verificationMethod, .verificationMethod)
        r.rejectedReason = try seal(r.rejectedReason, .rejectedReason)
        r.extensionReason = try seal(r.extensionReason, .extensionReason)
        return r
    }

    /// `record` as officers read it: its free text opened.
    func opened(_ record: RequestRecord) throws -> RequestRecord {
        var r = record
        r.verificationMethod = try open(r.verificationMethod, request: r.id, column: .verificationMethod)
        r.rejectedReason = try open(r.rejectedReason, request: r.id, column: .rejectedReason)
        r.extensionReason = try open(r.extensionReason, request: r.id, column: .extensionReason)
        return r
    }

    /// Whether any free text of `record` is still stored in the clear (written before sealing).
    static func hasClearText(_ record: RequestRecord) -> Bool {
        [record.verificationMethod, record.rejectedReason, record.extensionReason].contains { $0.map { !$0.hasPrefix(prefix) } ?? false }
    }

    static func context(_ request: UUID, _ column: Column) -> [UInt8] {
        SealContext.frame(.requestText, request.uuidString.lowercased(), column.rawValue)
    }
}

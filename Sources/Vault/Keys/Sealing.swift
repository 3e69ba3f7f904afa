import Foundation
import Identity
import Storage
import VaultCrypto
import VaultModel

/// Authenticated data sealed into every ciphertext.
///
/// Binding the key owner, the kind of value, the field and the source makes a ciphertext
/// copied into another row fail to open instead of showing one person's value on another's
/// profile, or one field's value under another field's name.
enum SealContext {
    static let formatVersion: UInt8 = 1

    static func field(owner: SubjectID, field: FieldName, source: SourceName) -> [UInt8] {
        frame(.field, owner.description, field.rawValue, source.rawValue)
    }
    static func recordKey(owner: SubjectID, source: SourceName) -> [UInt8] {
        frame(.recordKey, owner.description, source.rawValue)
    }
    static func event(owner: SubjectID, source: SourceName, type: String) -> [UInt8] {
        frame(.event, owner.description, source.rawValue, type)
    }
    static func eventTotals(_ group: EventTotalsGroup) -> [UInt8] {
        frame(.eventTotals, group.keyOwner.description, String(group.recordID))
    }

    static func timelineCursor(_ subject: SubjectID) -> [UInt8] { frame(.timelineCursor, subject.description) }

    static func consent(owner: SubjectID, purpose: String, occurredAt: Date) -> [UInt8] {
        frame(.consent, owner.description, purpose, String(occurredAt.unixMillis))
    }

    /// A catalogued context (`CiphertextContext`) and its parts, framed.
    static func frame(_ label: CiphertextContext, _ parts: String...) -> [UInt8] { frame([label.rawValue] + parts) }

    /// Each part as its UTF-8 length (4 bytes, big-endian) and bytes. Built in one buffer:
    /// a view frames one context per value it opens.

    static func frame(_ parts: [String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(0) { $0 + 4 + $1.utf8.count })
        for part in parts {
            let count = UInt32(part.utf8.count)
            out.append(UInt8(truncatingIfNeeded: count >> 24))
            out.append(UInt8(truncatingIfNeeded: count >> 16))
            out.append(UInt8(truncatingIfNeeded: count >> 8))
            out.append(UInt8(truncatingIfNeeded: count))
            out.append(contentsOf: part.utf8)
        }
        return out
    }
}

/// Seal and open with the versioned envelope: one format byte, then the AES-GCM box.
enum Envelope {
    static func seal(_ plaintext: [UInt8], key: SymmetricKey, context: [UInt8]) throws -> [UInt8] {
        [SealContext.formatVersion] + (try AESGCM.seal(plaintext, key: key, authenticating: context))
    }

    static func open(_ sealed: [UInt8], key: SymmetricKey, context: [UInt8]) throws -> [UInt8] {
        guard sealed.first == SealContext.formatVersion else { throw CryptoError.malformedCiphertext }
        return try AESGCM.open(sealed, from: 1, key: key, authenticating: context)
    }
}

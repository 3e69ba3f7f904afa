import Foundation
import VaultModel

/// Storage side of key rotation: which master-key version wraps what, and conditional
/// re-wrapping (a row is replaced only if it is still under the version it was read under).
public protocol KeyStore: Sendable {
    /// Wrapped data keys and vault secrets per master-key version.
    func wrappedKeyCounts() async throws -> [Int: Int]
    func dataKeys(notUnder version: Int, limit: Int) async throws -> [(subject: SubjectID, key: WrappedKey)]
    /// Replaces each key still under `from`; returns how many were replaced.
    func replaceDataKeys(_ updates: [(subject: SubjectID, from: Int, key: WrappedKey)]) async throws -> Int
    func vaultKeys() async throws -> [(name: String, key: WrappedKey)]
    func replaceVaultKey(named name: String, from: Int, with key: WrappedKey) async throws
    func setKeyVersionState(_ version: Int, state: String) async throws
    /// Deletes version `version` if it is still in `state` (a rotation's `pending` row whose key
    /// never reached the key file); returns whether a row went.
    func deleteKeyVersion(_ version: Int, ifState state: String) async throws -> Bool
    /// Takes the key-operation lease for `holder` until `expiresAt`: one rotation or retirement
    /// at a time across every replica of the database. False while another holder's lease has
    /// not expired at `now`; an expired lease (its holder died) is taken over.
    func acquireKeyOperationLease(holder: String, now: Date, expiresAt: Date) async throws -> Bool
    /// Gives the lease back if `holder` still has it.
    func releaseKeyOperationLease(holder: String) async throws
    /// A consistent, compacted copy of the database at `path`, taken while serving.
    func backup(to path: String) async throws
    /// Every sealed value of a subject with its location (for per-subject key rotation).
    func sealedRows(of subject: SubjectID) async throws -> [SealedRow]
    func replaceSubjectKey(_ subject: SubjectID, key: WrappedKey, rows: [(row: SealedRow, ciphertext: [UInt8])], audit: AuditWrite) async throws
    /// Deletes (or with `dryRun` only counts) field values observed before their cutoff, events
    /// of each type before theirs, and the held values named (their hold ended, as the vault
    /// checked against their tags); one transaction, audited.
    func sweep(
        fields: [FieldName: Date], events: [String: Date], held: [HeldValueKey], dryRun: Bool,
        audit: AuditWrite
    ) async throws -> (fields: [FieldName: Int], events: [String: Int], held: Int)
}

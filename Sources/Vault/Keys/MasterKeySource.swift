import Foundation
import VaultCrypto

#if canImport(Glibc)
import Glibc
#endif

/// Where the master key versions (KEKs) come from: the environment or a key file.
///
/// Format, in both places: one `VERSION:BASE64` entry per line (or comma-separated in the
/// environment), each a 32-byte key. The highest version is the active one. The key file is
/// created with mode 0600 on the first start, and the vault refuses to start if the file is
/// readable by group or others: a key anyone can read protects nothing.
public enum MasterKeySource: Sendable, Equatable {
    case environment(variable: String)
    case file(path: String)

    public static let environmentVariable = "PROFILEVAULT_MASTER_KEY"

    /// Loads the key versions, or nil when the file doesn't exist yet.
    public func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [Int: SymmetricKey]? {
        switch self {
        case .environment(let variable):
            guard let text = environment[variable] else { throw KeySetupError.environmentMissing(variable) }
            return try Self.parse(text.replacingOccurrences(of: ",", with: "\n"), origin: variable)
        case .file(let path):
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            try Self.checkPermissions(path)
            guard let data = FileManager.default.contents(atPath: path) else { throw KeySetupError.unreadable(path) }
            return try Self.parse(String(decoding: data, as: UTF8.self), origin: path)
        }
    }

    /// Creates the key file with a fresh version-1 key, never overwriting an existing file.
    public func create() throws -> [Int: SymmetricKey] {
        guard case .file(let path) = self else { throw KeySetupError.cannotCreateInEnvironment }
        let key = try SymmetricKey.generate()
        var text = "# ProfileVault master key. Back it up apart from the database; without it the data is unreadable.\n"
        text += key.secret.withUnsafeBytes { "1:" + Data($0).base64EncodedString() + "\n" }
        // O_EXCL: if a file appeared meanwhile, fail rather than replace someone's key.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw KeySetupError.cannotCreate(path) }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        defer { Wipe.bytes(&bytes) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else { throw KeySetupError.cannotCreate(path) }
        return [1: key]
    }

    /// Rewrites the key file with `versions`: a 0600 temporary file of its own (O_EXCL, a name
    /// no other writer uses), synced, renamed over the file, the directory synced; then the file
    /// is read back and must hold exactly `versions`, else `KeySetupError.readBackMismatch`.
    ///
    /// Every writer used one temporary name (`.tmp-<pid>`), so two concurrent rotations in one
    /// process truncated and renamed each other's file: the file could end up holding a key
    /// the database never recorded.
    public func write(_ versions: [Int: SymmetricKey]) throws {
        guard case .file(let path) = self else { throw KeySetupError.cannotCreateInEnvironment }
        var text = "# ProfileVault master key versions (the highest is active). Back them up apart from the database.\n"
        for (version, key) in versions.sorted(by: { $0.key < $1.key }) {
            text += key.secret.withUnsafeBytes { "\(version):" + Data($0).base64EncodedString() + "\n" }
        }
        let unique = (try? SecureRandom.bytes(8))?.map { String(format: "%02x", $0) }.joined() ?? UUID().uuidString
        let temporary = path + ".tmp-\(getpid())-\(unique)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw KeySetupError.cannotCreate(temporary) }
        var bytes = Array(text.utf8)
        defer { Wipe.bytes(&bytes) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw KeySetupError.cannotCreate(path)
        }
        Self.syncDirectory(of: path)
        guard let reread = try load(), Self.sameKeys(reread, versions) else { throw KeySetupError.readBackMismatch(path) }
    }

    /// True when both hold the same versions with the same key bytes (compared in constant time).
    static func sameKeys(_ a: [Int: SymmetricKey], _ b: [Int: SymmetricKey]) -> Bool {
        guard Set(a.keys) == Set(b.keys) else { return false }
        return a.allSatisfy { version, key in
            key.secret.withUnsafeBytes { x in b[version]!.secret.withUnsafeBytes { y in ConstantTime.equals(x, y) } }
        }
    }

    /// A rename is durable only once its directory is synced.
    static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func checkPermissions(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw KeySetupError.unreadable(path) }
        if info.st_mode & 0o077 != 0 {
            throw KeySetupError.tooPermissive(path, mode: String(info.st_mode & 0o777, radix: 8))
        }
    }

    static func parse(_ text: String, origin: String) throws -> [Int: SymmetricKey] {
        var keys: [Int: SymmetricKey] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let version = Int(parts[0]), version > 0,
                var raw = Data(base64Encoded: String(parts[1])).map([UInt8].init), raw.count == SymmetricKey.byteCount
            else { throw KeySetupError.malformed(origin) }
            defer { Wipe.bytes(&raw) }
            keys[version] = try SymmetricKey(copying: raw)
        }
        guard !keys.isEmpty else { throw KeySetupError.malformed(origin) }
        return keys
    }
}

/// Why the vault refuses to start with the key material it was given.
public enum KeySetupError: Error, Equatable, CustomStringConvertible, Sendable {
    case environmentMissing(String)
    case unreadable(String)
    case malformed(String)
    case tooPermissive(String, mode: String)
    case cannotCreate(String)
    case cannotCreateInEnvironment
    case missingForExistingDatabase(String)
    case wrongKey(version: Int)
    case versionMissing(version: Int)
    case readBackMismatch(String)

    public var description: String {
        switch self {
        case .environmentMissing(let v): "the environment variable \(v) is not set"
        case .unreadable(let p): "cannot read the master key file \(p)"
        case .malformed(let origin): "the master key in \(origin) is malformed (expected lines VERSION:BASE64 of 32 bytes)"
        case .tooPermissive(let p, let mode):
            "refusing to start: the master key file \(p) has mode \(mode); it must not be readable by group or others (chmod 600)"
        case .cannotCreate(let p): "cannot create the master key file \(p)"
        case .cannotCreateInEnvironment: "a master key from the environment can't be created"
        case .missingForExistingDatabase(let p):
            "refusing to start: the database holds encrypted data but the master key file \(p) is missing; restore the key instead of creating a new one"
        case .wrongKey(let v): "refusing to start: master key version \(v) does not match this database (key check value differs)"
        case .versionMissing(let v): "refusing to start: master key version \(v), which this database uses, is not loaded"
        case .readBackMismatch(let p): "the master key file \(p) read back differs from what was written; nothing was wrapped under the new key"
        }
    }
}

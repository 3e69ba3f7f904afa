import Foundation
import Synchronization
import Testing

/// The built binaries, next to the test bundle (`swift build` puts them there).
enum Binaries {
    static var directory: URL {
        let executable = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        return executable.deletingLastPathComponent()
    }
    static var vaultd: URL { directory.appendingPathComponent("vaultd") }
    static var vaultctl: URL { directory.appendingPathComponent("vaultctl") }
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var policies: URL { repository.appendingPathComponent("policies") }
}

/// A running `vaultd` child process on a free port and a temporary data directory.
final class VaultdProcess: @unchecked Sendable {
    // @unchecked: `process` and `output` are touched only from the test's own task.
    let process = Process()
    let dataDirectory: URL
    private let stdout = Pipe()
    private let stderr = Pipe()
    /// What vaultd printed up to its "listening" line.
    private var startOutput = ""
    /// What it printed since: both pipes are drained while it runs, so a chatty vaultd (debug
    /// logging) never blocks on a full pipe, least of all while it shuts down.
    private let drained = Mutex<(out: Data, err: Data)>((Data(), Data()))
    private(set) var port = 0
    var output: String { startOutput + String(decoding: drained.withLock { $0.out }, as: UTF8.self) }

    var address: String { "http://127.0.0.1:\(port)" }

    init(dataDirectory: URL, arguments: [String] = [], environment: [String: String] = [:]) {
        self.dataDirectory = dataDirectory
        process.executableURL = Binaries.vaultd
        process.arguments = ["--port", "0", "--data-dir", dataDirectory.path, "--policies", Binaries.policies.path] + arguments
        var env = ProcessInfo.processInfo.environment
        env["PROFILEVAULT_LOG_LEVEL"] = "warning"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = stdout
        process.standardError = stderr
    }

    /// Starts the process and waits for its "listening" line (or its exit).
    func start(timeout: Duration = .seconds(120)) async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Binaries.vaultd.path), "build vaultd first (swift build)")
        try process.run()
        let deadline = ContinuousClock.now + timeout
        let handle = stdout.fileHandleForReading
        while ContinuousClock.now < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty {
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            startOutput += String(decoding: chunk, as: UTF8.self)
            if startOutput.contains("vaultd listening on http"), let range = startOutput.range(of: "://127.0.0.1:") {
                let digits = startOutput[range.upperBound...].prefix { $0.isNumber }
                port = Int(digits) ?? 0
                drain()
                return
            }
        }
        throw StartFailure(output: output, errors: readErrors())
    }

    private func drain() {
        stdout.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.drained.withLock { $0.out += data }
        }
        stderr.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.drained.withLock { $0.err += data }
        }
    }

    /// Stops draining and collects what is left in the pipes (the process has exited).
    private func collectRest() {
        guard stdout.fileHandleForReading.readabilityHandler != nil else { return }
        stdout.fileHandleForReading.readabilityHandler = nil
        stderr.fileHandleForReading.readabilityHandler = nil
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        drained.withLock {
            $0.out += out
            $0.err += err
        }
    }

    /// Waits for the process to exit after it was told to stop, or refused to start.
    func waitForExit() -> Int32 {
        process.waitUntilExit()
        if port == 0 {
            startOutput += String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        } else {
            collectRest()
        }
        return process.terminationStatus
    }

    func readErrors() -> String {
        if process.isRunning { return "" }
        if port == 0 { return String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        collectRest()
        return String(decoding: drained.withLock { $0.err }, as: UTF8.self)
    }

    func terminate() -> Int32 {
        process.terminate()  // SIGTERM
        return waitForExit()
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    struct StartFailure: Error, CustomStringConvertible {
        let output: String
        let errors: String
        var description: String { "vaultd did not start. stdout: \(output)\nstderr: \(errors)" }
    }
}

/// Runs `vaultctl` and returns its exit code and outputs.
func vaultctl(_ arguments: [String], address: String, token: String) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = Binaries.vaultctl
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["PROFILEVAULT_ADDR"] = address
    env["PROFILEVAULT_TOKEN"] = token
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Creates a token with `vaultctl token create --json ARGUMENTS` and returns it.
func createToken(_ arguments: [String], address: String, root: String) throws -> String {
    let created = try vaultctl(["token", "create", "--json"] + arguments, address: address, token: root)
    guard let token = (try? JSONSerialization.jsonObject(with: Data(created.out.utf8)) as? [String: Any])?["token"] as? String else {
        throw TokenCreationFailed(output: created.err)
    }
    return token
}

struct TokenCreationFailed: Error, CustomStringConvertible {
    let output: String
    var description: String { "vaultctl token create failed: \(output)" }
}

func temporaryDirectory() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("pv-proc-\(UUID().uuidString)")
}

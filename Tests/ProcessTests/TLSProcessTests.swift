import Foundation
import Testing

@Suite("TLS on the listener", .serialized)
struct TLSProcessTests {
    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, out: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("with a certificate and a 0600 key vaultd serves HTTPS that verifies; a readable key is refused")
    func https() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let cert = data.appendingPathComponent("cert.pem").path
        let key = data.appendingPathComponent("key.pem").path
        let made = try Self.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        #expect(made.status == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
        let vaultd = VaultdProcess(dataDirectory: data.appendingPathComponent("vault"), arguments: ["--tls-cert", cert, "--tls-key", key])
        try await vaultd.start()
        #expect(vaultd.output.contains("vaultd listening on https://"))
        let verified = try Self.run("/usr/bin/curl", ["-s", "--cacert", cert, "https://127.0.0.1:\(vaultd.port)/healthz"])
        #expect(verified.status == 0 && verified.out.contains("ok"), "\(verified)")
        let plain = try Self.run("/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(vaultd.port)/healthz"])
        #expect(!plain.out.contains("ok"), "no plain HTTP on a TLS listener")
        #expect(vaultd.terminate() == 0)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        let refused = VaultdProcess(dataDirectory: data.appendingPathComponent("vault"), arguments: ["--tls-cert", cert, "--tls-key", key])
        do {
            try await refused.start(timeout: .seconds(60))
            Issue.record("vaultd served with a world-readable TLS key")
        } catch let failure as VaultdProcess.StartFailure {
            #expect(failure.errors.contains("chmod 600"))
        }
    }
}

import Foundation
import Testing

/// Slow and malformed clients against a real vaultd (OWASP API4): trickled headers and
/// bodies are cut off after the request timeout while others are served, oversized headers
/// and garbage are refused, and the server keeps serving.
@Suite("slow and malformed clients", .serialized)
struct SlowClientProcessTests {
    @Test("slowloris connections are closed after --request-timeout while normal requests are served")
    func slowloris() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let vaultd = VaultdProcess(dataDirectory: data, arguments: ["--request-timeout", "2"])
        try await vaultd.start()
        defer { _ = vaultd.terminate() }
        let http = ProcessHTTP(address: vaultd.address)

        // 40 connections: half trickle a header a byte at a time, half trickle a body.
        var slow: [RawSocket] = []
        for index in 0..<40 {
            let socket = try RawSocket(port: vaultd.port)
            if index % 2 == 0 {
                socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            } else {
                socket.write("POST /v1/subjects/lookup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
            }
            slow.append(socket)
        }
        // While they trickle, other clients are served.
        var served = 0
        for _ in 0..<10 {
            for socket in slow { socket.write("a") }
            if try await http.call("GET", "/healthz").status == 200 { served += 1 }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(served == 10, "normal requests were served during the attack")
        // Each slow connection is closed within the timeout (2 s) plus slack, though it kept sending.
        var closed = 0
        for socket in slow where socket.waitForClose(within: .seconds(10)) { closed += 1 }
        #expect(closed == slow.count, "\(slow.count - closed) slow connections still open")
        #expect(try await http.call("GET", "/readyz").status == 200)
        print("Slowloris: \(slow.count) slow connections closed by the server, \(served)/10 normal requests served meanwhile")
    }

    @Test("oversized headers, too many headers and garbage bytes are refused without harm")
    func malformedRequests() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let vaultd = VaultdProcess(dataDirectory: data)
        try await vaultd.start()
        defer { _ = vaultd.terminate() }
        let http = ProcessHTTP(address: vaultd.address)
        let attempts: [(String, [UInt8])] = [
            ("a 40 KiB header", Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 40_000))\r\n\r\n".utf8)),
            ("200 headers", Array(("GET /healthz HTTP/1.1\r\nHost: x\r\n" + (0..<200).map { "X-H\($0): v\r\n" }.joined() + "\r\n").utf8)),
            (
                "binary garbage",
                [0x00, 0xff, 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03] + Array(repeating: 0x41, count: 300) + [0x0d, 0x0a, 0x0d, 0x0a]
            ),
            ("a bad request line", Array("GET\u{0}/v1/../../etc/passwd HTTP/9.9\r\n\r\n".utf8)),
            ("a negative content length", Array("POST /v1/subjects/lookup HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".utf8)),
            ("two content lengths", Array("POST /v1/subjects/lookup HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 9\r\n\r\n{}{}{}{}{".utf8)),
            ("a 70 KiB URI", Array("GET /v1/subjects/\(String(repeating: "a", count: 70_000)) HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
        ]
        for (name, bytes) in attempts {
            let socket = try RawSocket(port: vaultd.port)
            socket.write(bytes)
            var answer = ""
            while let chunk = socket.read(), !chunk.isEmpty { answer += chunk }
            let status = answer.hasPrefix("HTTP/1.1 ") ? Int(answer.dropFirst(9).prefix(3)) ?? 0 : 0
            #expect(status == 0 || (400..<500).contains(status), "\(name): \(answer.prefix(80))")
            #expect(try await http.call("GET", "/healthz").status == 200, "still serving after \(name)")
        }
        #expect(vaultd.process.isRunning)
    }
}

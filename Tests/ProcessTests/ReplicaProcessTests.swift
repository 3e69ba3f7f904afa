import Foundation
import PostgresStorage
import Testing
import VaultTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Two vaultd processes over one PostgreSQL database, as a multi-node deployment runs them.
@Suite("replicas over PostgreSQL", .serialized)
struct ReplicaProcessTests {
    static let rootToken = "pv-test-root-token-replicas-0123"

    static func batch(_ source: String, _ people: Range<Int>, _ fields: (Int) -> String) -> String {
        let records = people.map { #"{"key": "\#(source)-\#($0)", "fields": {\#(fields($0))}}"# }
        return #"{"records": [\#(records.joined(separator: ","))]}"#
    }

    static func phone(_ n: Int) -> String { "+1 415 555 \(String(format: "%04d", n))" }

    @Test(
        "two vaultd replicas ingest the same people from two sources at once: no duplicate subject, no lost merge, one audit chain; a policy applied on one is in force on the other within seconds"
    )
    func twoReplicas() async throws {
        let database = try await TestPostgres.freshDatabase()
        let (dataA, dataB) = (temporaryDirectory(), temporaryDirectory())
        defer {
            try? FileManager.default.removeItem(at: dataA)
            try? FileManager.default.removeItem(at: dataB)
        }
        let arguments = [
            "--database", "postgres://\(database.username)@\(database.host):\(database.port)/\(database.database)?sslmode=disable",
            "--policy-refresh-ms", "250", "--lookups-per-minute", "100000",
        ]
        // The first replica creates schema, keys and the admin token; the second shares its master key.
        let a = VaultdProcess(dataDirectory: dataA, arguments: arguments, environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken])
        try await a.start()
        defer { _ = a.terminate() }
        try FileManager.default.createDirectory(at: dataB, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.copyItem(at: dataA.appendingPathComponent("master.key"), to: dataB.appendingPathComponent("master.key"))
        let b = VaultdProcess(dataDirectory: dataB, arguments: arguments)
        try await b.start()
        defer { _ = b.terminate() }
        #expect(!b.output.contains("Admin token"), "the second replica finds the vault already set up")

        let crm = try createToken(["--principal", "crm-sync", "--source", "crm"], address: a.address, root: Self.rootToken)
        let support = try createToken(["--principal", "desk-sync", "--source", "support"], address: b.address, root: Self.rootToken)
        let billing = try createToken(["--principal", "billing-sync", "--source", "billing"], address: a.address, root: Self.rootToken)
        let dpo = try createToken(["--principal", "dpo", "--role", "compliance"], address: b.address, root: Self.rootToken)
        let (httpA, httpB) = (ProcessHTTP(address: a.address), ProcessHTTP(address: b.address))

        // Round 1, at once: crm sends email-only records through A, support phone-only records
        // of the same people through B. Round 2, at once: billing records carrying both,
        // half through A and half through B, so every person's two subjects must merge.
        let people = 60
        var statuses: [Int] = []
        try await withThrowingTaskGroup(of: Int.self) { group in
            for start in stride(from: 0, to: people, by: 10) {
                group.addTask {
                    try await httpA.call(
                        "POST", "/v1/sources/crm/records", token: crm,
                        json: Self.batch("crm", start..<start + 10) { #""email": "r\#($0)@example.com", "first_name": "R\#($0)""# }
                    ).status
                }
                group.addTask {
                    try await httpB.call(
                        "POST", "/v1/sources/support/records", token: support,
                        json: Self.batch("sup", start..<start + 10) { #""phone": "\#(Self.phone($0))", "last_name": "L\#($0)""# }
                    ).status
                }
            }
            for try await status in group { statuses.append(status) }
        }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for start in stride(from: 0, to: people, by: 5) {
                let http = start.isMultiple(of: 10) ? httpA : httpB
                group.addTask {
                    try await http.call(
                        "POST", "/v1/sources/billing/records", token: billing,
                        json: Self.batch("bill", start..<start + 5) { #""email": "R\#($0)@Example.com", "phone": "\#(Self.phone($0))""# }
                    ).status
                }
            }
            for try await status in group { statuses.append(status) }
        }
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")

        let store = try await PostgresVaultStore.connect(location: database, maximumConnections: 2)
        defer { store.shutdown() }
        #expect(try await store.subjectCount() == people, "one subject per person")
        for n in [0, 7, 33, people - 1] {
            let byEmail = try await httpA.object("POST", "/v1/subjects/lookup", token: dpo, json: #"{"identifiers": {"email": "r\#(n)@example.com"}}"#)
            let byPhone = try await httpB.object("POST", "/v1/subjects/lookup", token: dpo, json: #"{"identifiers": {"phone": "\#(Self.phone(n))"}}"#)
            let ids = byEmail["subject_ids"] as? [String] ?? []
            #expect(ids.count == 1 && ids == byPhone["subject_ids"] as? [String], "person \(n): \(ids) vs \(byPhone)")
        }

        // One chain: both replicas append to it and both verify all of it.
        let verifyA = try vaultctl(["audit", "verify", "--json"], address: a.address, token: Self.rootToken)
        let verifyB = try vaultctl(["audit", "verify", "--json"], address: b.address, token: Self.rootToken)
        #expect(verifyA.status == 0 && verifyB.status == 0, "\(verifyA.out) \(verifyB.out)")
        let head = try #require(try await store.auditHead())
        let entries = try await store.auditEntries(.init())
        #expect(entries.count == Int(head.seq) && entries.map(\.seq) == Array(1...head.seq), "gapless sequence across replicas")

        // A policy applied through A is in force on B after B's next refresh.
        let bundle = dataA.appendingPathComponent("bundle")
        try FileManager.default.copyItem(at: Binaries.policies, to: bundle)
        let roles = bundle.appendingPathComponent("roles.yaml")
        try (String(contentsOf: roles, encoding: .utf8) + "\n# replicas: v2\n").write(to: roles, atomically: true, encoding: .utf8)
        let apply = try vaultctl(["policy", "apply", bundle.path], address: a.address, token: Self.rootToken)
        #expect(apply.status == 0 && apply.out.contains("Applied v2"), "\(apply.out)\(apply.err)")
        let applied = ContinuousClock.now
        var seenOnB: Duration?
        // B polls every 250 ms; the test allows a minute because parallel tests that block the
        // two cooperative threads (synchronous vaultctl runs) can stall this loop for seconds.
        while ContinuousClock.now - applied < .seconds(60) {
            let current = try await httpB.object("GET", "/v1/policies", token: Self.rootToken)
            if current["version"] as? String == "v2" {
                seenOnB = ContinuousClock.now - applied
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let lag = try #require(seenOnB, "replica B did not adopt v2 within a minute")

        // The console session lives in the database: signed in through A, served by B, ended through B.
        let console = ConsoleClient()
        let cookie = try await console.signIn(at: a.address, token: dpo)
        let onB = try await console.get(b.address + "/console", cookie: cookie)
        #expect(onB.status == 200 && onB.body.contains("Overview"), "B serves A's session: \(onB.status)")
        let csrf = try #require(onB.body.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/).map { String($0.1) })
        #expect(try await console.post(b.address + "/console/signout", cookie: cookie, form: "csrf=\(csrf)").status == 303)
        #expect(try await console.get(a.address + "/console", cookie: cookie).status == 303, "signed out everywhere")
        print(
            "Replicas: \(people) people from 3 sources through 2 vaultd → \(try await store.subjectCount()) subjects, chain of \(head.seq) entries valid on both; policy v2 seen on B after \(lag)"
        )
    }
}

/// Raw console HTTP: cookies by hand and no redirects followed, as the session test needs.
final class ConsoleClient: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    // @unchecked: the session is set once in init and URLSession is thread-safe.
    private var session: URLSession!

    override init() {
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.timeoutIntervalForRequest = 30
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    func get(_ url: String, cookie: String?) async throws -> (status: Int, body: String, setCookie: String?) {
        try await send(URLRequest(url: URL(string: url)!), cookie: cookie)
    }

    func post(_ url: String, cookie: String?, form: String) async throws -> (status: Int, body: String, setCookie: String?) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(form.utf8)
        return try await send(request, cookie: cookie)
    }

    private func send(_ request: URLRequest, cookie: String?) async throws -> (status: Int, body: String, setCookie: String?) {
        var request = request
        if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
        let (data, response) = try await session.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, String(decoding: data, as: UTF8.self), http?.value(forHTTPHeaderField: "Set-Cookie"))
    }

    /// Signs in through the sign-in form (its CSRF cookie and field); returns the session cookie `name=value`.
    func signIn(at address: String, token: String) async throws -> String {
        let form = try await get(address + "/console/signin", cookie: nil)
        let nonce = try #require(form.setCookie?.split(separator: ";").first.map(String.init))
        let csrf = try #require(form.body.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/).map { String($0.1) })
        let signedIn = try await post(address + "/console/signin", cookie: nonce, form: "csrf=\(csrf)&token=\(token)")
        #expect(signedIn.status == 303)
        return try #require(signedIn.setCookie?.split(separator: ";").first.map(String.init))
    }
}

import Foundation
import Testing

/// Separation of duties as a deployment setting: with `--dual-control`, a token for a role
/// shown personal values works only once a second principal approved it, so no single admin
/// can grant itself every value.
@Suite("dual control with real processes", .serialized)
struct DualControlProcessTests {
    static let rootToken = "pv-test-root-token-dual-ctl-01"

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("a privileged grant waits for a second principal: the first at the host, then a compliance principal; never an admin")
    func privilegedGrantNeedsApproval() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = VaultdProcess(dataDirectory: data, arguments: ["--dual-control"], environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken])
        try await first.start()
        var vaultd = first
        var http = ProcessHTTP(address: vaultd.address)
        func create(_ principal: String, _ role: String, as token: String) throws -> [String: Any] {
            let out = try vaultctl(["token", "create", "--json", "--principal", principal, "--role", role], address: vaultd.address, token: token)
            #expect(out.status == 0, "\(out.err)")
            return try Self.json(out.out)
        }
        // Automation's root token (admin) still works, and an admin token needs no approval.
        let second = try #require(try create("admin-2", "admin", as: Self.rootToken)["token"] as? String)

        let officer = try create("officer-1", "compliance", as: Self.rootToken)
        #expect(officer["privileged"] as? Bool == true && officer["awaiting_approval"] as? Bool == true)
        let officerToken = try #require(officer["token"] as? String)
        let officerID = try #require(officer["id"] as? String)
        #expect(try await http.call("GET", "/v1/requests", token: officerToken).status == 401, "not usable before approval")
        let listed = try vaultctl(["token", "list"], address: vaultd.address, token: Self.rootToken)
        #expect(listed.out.contains("awaiting approval"))

        let bySelf = try vaultctl(["token", "approve", officerID], address: vaultd.address, token: Self.rootToken)
        #expect(bySelf.status != 0 && bySelf.err.contains("creator can't approve it"), "\(bySelf.err)")
        // An admin token minted for the purpose can't approve it either.
        let bySecond = try vaultctl(["token", "approve", officerID], address: vaultd.address, token: second)
        #expect(bySecond.status != 0 && bySecond.err.contains("compliance principal approves"), "\(bySecond.err)")
        // The first compliance principal is approved at the host, with vaultd stopped.
        #expect(vaultd.terminate() == 0)
        let atHost = VaultdProcess(dataDirectory: data, arguments: ["--approve-token", officerID])
        do {
            try await atHost.start(timeout: .seconds(60))
            Issue.record("vaultd --approve-token went on serving")
        } catch let failure as VaultdProcess.StartFailure {
            #expect(failure.output.contains("Approved token \(officerID) of officer-1"), "\(failure.output) \(failure.errors)")
        }
        vaultd = VaultdProcess(dataDirectory: data, arguments: ["--dual-control"])
        try await vaultd.start()
        http = ProcessHTTP(address: vaultd.address)
        #expect(try await http.call("GET", "/v1/requests", token: officerToken).status == 200)

        // From now on a compliance principal approves; an admin no longer can.
        let desk = try create("desk-1", "support", as: Self.rootToken)
        let deskToken = try #require(desk["token"] as? String)
        let deskID = try #require(desk["id"] as? String)
        let byAdmin = try vaultctl(["token", "approve", deskID], address: vaultd.address, token: second)
        #expect(byAdmin.status != 0 && byAdmin.err.contains("compliance principal approves"), "\(byAdmin.err)")
        #expect(
            try await http.call(
                "GET", "/v1/subjects/00000000-0000-4000-8000-000000000001", token: deskToken,
                purpose: "essential.service.operations.support"
            ).status == 401)
        #expect(try vaultctl(["token", "approve", deskID], address: vaultd.address, token: officerToken).status == 0)
        #expect(
            try await http.call(
                "GET", "/v1/subjects/00000000-0000-4000-8000-000000000001", token: deskToken,
                purpose: "essential.service.operations.support"
            ).status == 404, "works once approved")

        let approvals = try vaultctl(["audit", "tail", "--json", "--action", "token.approve"], address: vaultd.address, token: Self.rootToken)
        let entries = try approvals.out.split(separator: "\n").map { try Self.json(String($0)) }
        #expect(entries.map { $0["principal"] as? String } == ["vaultd", "officer-1"])
        #expect(vaultd.terminate() == 0)
    }
}

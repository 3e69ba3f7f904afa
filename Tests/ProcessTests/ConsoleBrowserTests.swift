import Foundation
import Testing
import Vault
import VaultAPI
import VaultCrypto

/// The compliance console in a real browser: headless Chromium (Debian's `chromium`, which
/// `scripts/test` installs) drives a real vaultd the way an officer would, by typing into the
/// forms and clicking, and takes screenshots of the main pages. Nothing is skipped: without
/// Chromium the test fails.
@Suite("Console: browser", .serialized)
struct ConsoleBrowserTests {
    static let rootToken = "pv-test-root-token-console-01"

    struct Seeded {
        let compliance: String
        let crm: String
        let erasure: String
        let access: String
        let overdue: String
    }

    /// Tokens, four people from two sources, and three requests (an erasure to carry out, an
    /// access request, and an erasure received by mail 40 days ago, now overdue).
    static func seed(_ http: ProcessHTTP) async throws -> Seeded {
        func token(_ body: String) async throws -> String {
            try #require(try await http.object("POST", "/v1/tokens", token: rootToken, json: body)["token"] as? String)
        }
        let compliance = try await token(#"{"principal": "dpo-browser", "role": "compliance"}"#)
        let crm = try await token(#"{"principal": "crm-sync", "source": "crm"}"#)
        let support = try await token(#"{"principal": "support-sync", "source": "support"}"#)
        let records = try await http.object(
            "POST", "/v1/sources/crm/records", token: crm,
            json: """
                {"records": [
                  {"key": "crm-ada-1", "fields": {"email": "ada.lovelace@example.org", "first_name": "Ada", "last_name": "Lovelace"}},
                  {"key": "crm-alan-2", "fields": {"email": "alan.turing@example.org", "first_name": "Alan", "last_name": "Turing"}},
                  {"key": "crm-grace-3", "fields": {"email": "grace.hopper@example.org", "first_name": "Grace", "last_name": "Hopper"}},
                  {"key": "crm-edsger-4", "fields": {"email": "edsger.dijkstra@example.org", "first_name": "Edsger"}}
                ]}
                """)
        #expect(try #require(records["results"] as? [[String: Any]]).map { $0["outcome"] as? String } == Array(repeating: "accepted", count: 4))
        var subjects: [String] = []
        for key in ["crm-ada-1", "crm-alan-2", "crm-grace-3", "crm-edsger-4"] {
            let found = try await http.object(
                "POST", "/v1/subjects/lookup", token: compliance, json: #"{"source_record": {"source": "crm", "key": "\#(key)"}}"#)
            subjects += try #require(found["subject_ids"] as? [String])
        }
        #expect(subjects.count == 4)
        let supportRecord = try await http.call(
            "POST", "/v1/sources/support/records", token: support,
            json: #"{"records": [{"key": "sup-ada-9", "fields": {"email": "Ada.Lovelace@example.org", "phone": "(415) 555-0142"}}]}"#)
        #expect(supportRecord.status == 200)
        func open(_ body: String) async throws -> String {
            try #require(try await http.object("POST", "/v1/requests", token: compliance, json: body)["id"] as? String)
        }
        let received = Timestamp.format(Date().addingTimeInterval(-40 * 86_400))
        return Seeded(
            compliance: compliance, crm: crm,
            erasure: try await open(#"{"kind": "erasure", "regulation": "gdpr", "subject_id": "\#(subjects[0])"}"#),
            access: try await open(#"{"kind": "access", "regulation": "ccpa", "subject_id": "\#(subjects[1])"}"#),
            overdue: try await open(#"{"kind": "erasure", "regulation": "gdpr", "subject_id": "\#(subjects[2])", "received_at": "\#(received)"}"#))
    }

    @Test("headless Chromium: sign in, open an erasure, verify and execute it, download the receipt; CSRF and sessions enforced; screenshots of the main pages")
    func officerInABrowser() async throws {
        let work = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let vaultd = VaultdProcess(dataDirectory: work.appendingPathComponent("data"), environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken])
        try await vaultd.start()
        defer { _ = vaultd.terminate() }
        let http = ProcessHTTP(address: vaultd.address)
        let seeded = try await Self.seed(http)

        let executable = try #require(ChromiumDriver.executable(), "Chromium is missing: scripts/test installs Debian's chromium")
        let chromium = try ChromiumDriver(executable: executable, profile: work.appendingPathComponent("profile"))
        defer { chromium.close() }
        let downloads = work.appendingPathComponent("downloads")
        let shots = work.appendingPathComponent("screenshots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        try await chromium.allowDownloads(into: downloads)
        let page = try await chromium.newPage(width: 1280, height: 900)
        let console = vaultd.address + "/console"
        // Each page screenshotted is also checked: English, a skip link, a label for every
        // field, a scope on every header cell, and nothing wider than a 1280-pixel laptop.
        func shot(_ name: String) async throws {
            let problems = try await page.string(Self.accessibilityProblems)
            #expect(problems.isEmpty, "\(name): \(problems)")
            try await page.screenshot(to: shots.appendingPathComponent("\(name).png"))
        }

        // No session: the queue sends the browser to the sign-in form.
        try await page.navigate(console + "/requests")
        #expect(try await page.path == "/console/signin")
        try await shot("signin")

        // Sign in as a person would: type the token, press the button.
        try await page.perform(
            """
            document.getElementById('token').value = \(ChromiumPage.literal(seeded.compliance));
            document.querySelector('form[action="/console/signin"] button[type=submit]').click()
            """)
        #expect(try await page.path == "/console")
        let overview = try await page.text
        #expect(overview.contains("Median days to complete") && overview.contains("Suppression entries") && overview.contains("Notices pending"))
        #expect(try await page.string("document.getElementById('overdue-count').textContent") == "1")
        #expect(!(try await page.string("document.cookie")).contains("pv_console"), "the session cookie is HttpOnly")
        try await shot("overview")
        // From the keyboard: the first Tab reaches the skip link, which shows a focus outline.
        try await page.press("Tab", code: 9)
        #expect(try await page.string("document.activeElement.className") == "skip")
        #expect(try await page.string("getComputedStyle(document.activeElement).outlineStyle") == "solid")

        // The queue lists the requests; the overdue one first and highlighted; filters narrow it.
        try await page.perform("document.querySelector('nav a[href=\"/console/requests\"]').click()")
        let queue = try await page.text
        #expect(queue.contains(seeded.erasure) && queue.contains(seeded.access) && queue.contains(seeded.overdue))
        #expect(try await page.string("document.querySelector('tbody tr').className") == "overdue")
        #expect(try await page.string("document.querySelector('tbody tr a').textContent") == seeded.overdue)
        try await shot("queue")
        try await page.perform(
            """
            document.getElementById('kind').value = 'erasure';
            document.getElementById('overdue').checked = true;
            document.querySelector('form.filters button[type=submit]').click()
            """)
        let filtered = try await page.text
        #expect(filtered.contains(seeded.overdue) && !filtered.contains(seeded.erasure) && !filtered.contains(seeded.access))

        // Open the erasure from the queue.
        try await page.navigate(console + "/requests?kind=erasure")
        try await page.perform("document.querySelector('a[href=\"/console/requests/\(seeded.erasure)\"]').click()")
        #expect(try await page.path == "/console/requests/\(seeded.erasure)")
        #expect(try await page.string("document.getElementById('status').textContent") == "received")

        // A form posted without its CSRF token is refused, and nothing moves.
        try await page.perform(
            """
            const form = document.querySelector('form[action$="/verify"]');
            form.querySelector('input[name=csrf]').remove();
            form.querySelector('button[type=submit]').click()
            """)
        #expect(try await page.status == 403)
        #expect(try await page.text.contains("did not come from the console"))
        #expect(try await Self.status(of: seeded.erasure, http, seeded.compliance) == "received")

        // Verify, then execute.
        try await page.navigate(console + "/requests/\(seeded.erasure)")
        try await page.perform(
            """
            document.getElementById('method').value = 'id_document';
            document.getElementById('verify').click()
            """)
        #expect(try await page.string("document.getElementById('status').textContent") == "verified")
        try await page.perform("document.getElementById('execute').click()")
        #expect(try await page.path == "/console/requests/\(seeded.erasure)")
        #expect(try await page.string("document.getElementById('status').textContent") == "completed")
        #expect(try await page.string("document.getElementById('receipt-signature').textContent").contains("valid"))
        #expect(try await Self.status(of: seeded.erasure, http, seeded.compliance) == "completed", "the API agrees")

        // The crm source acknowledges its notice; the page shows it.
        let outbox = try await http.object("GET", "/v1/erasures/outbox", token: seeded.crm)
        let notice = try #require((outbox["notices"] as? [[String: Any]])?.first { $0["request_id"] as? String == seeded.erasure }?["id"] as? String)
        #expect(try await http.call("POST", "/v1/erasures/outbox/\(notice)/ack", token: seeded.crm).status == 204)
        try await page.navigate(console + "/requests/\(seeded.erasure)")
        let notices = try await page.string("document.getElementById('notices').innerText")
        #expect(notices.contains("crm") && notices.contains("support") && notices.contains("not yet"))
        try await shot("request")

        // Download the receipt by clicking its link; it verifies under the vault's public key.
        try await page.evaluate("document.getElementById('receipt').click()")
        let file = downloads.appendingPathComponent("erasure-receipt-\(seeded.erasure).json")
        let receiptData = try await Self.waitForFile(file)
        let receipt = try JSONDecoder().decode(ReceiptBody.self, from: receiptData)
        let keys = try JSONDecoder().decode(KeysBody.self, from: try await http.call("GET", "/v1/keys", token: seeded.compliance).body)
        let key = Ed25519PublicKey(bytes: [UInt8](try #require(Data(base64Encoded: keys.signing_public_key))))
        #expect(key.isValidSignature([UInt8](try #require(Data(base64Encoded: receipt.signature))), for: Array(receipt.signed.utf8)))
        #expect(receipt.signed.contains(seeded.erasure))
        for value in ["ada.lovelace", "Lovelace", "555-0142", "5550142"] { #expect(!receipt.signed.contains(value)) }

        // The audit page: the chain verifies, and the officer's steps are there.
        try await page.perform("document.querySelector('nav a[href=\"/console/audit\"]').click()")
        #expect(try await page.string("document.getElementById('chain-result').textContent").contains("Chain valid"))
        let audit = try await page.text
        #expect(audit.contains("request.execute") && audit.contains("request.verify") && audit.contains("dpo-browser"))
        try await shot("audit")

        // Admin pages are admin's: the compliance officer is refused.
        try await page.navigate(console + "/tokens")
        #expect(try await page.status == 403)

        // Sign out: the old session is gone, the console asks to sign in again.
        try await page.perform("document.querySelector('form.signout button').click()")
        #expect(try await page.path == "/console/signin")
        try await page.navigate(console)
        #expect(try await page.path == "/console/signin")

        // The admin: create a token (shown once), then the policy and key pages.
        try await page.perform(
            """
            document.getElementById('token').value = \(ChromiumPage.literal(Self.rootToken));
            document.querySelector('form[action="/console/signin"] button[type=submit]').click()
            """)
        try await page.perform("document.querySelector('nav a[href=\"/console/tokens\"]').click()")
        try await page.perform(
            """
            document.getElementById('principal').value = 'support-app';
            document.getElementById('scope').value = 'role:support';
            document.getElementById('create-token').click()
            """)
        let created = try await page.string("document.getElementById('new-token').value")
        #expect(created.hasPrefix("pvt_"))
        #expect(
            try await http.call("GET", "/v1/subjects/\(UUID().uuidString.lowercased())", token: created, purpose: "essential.service.operations.support").status
                == 404,
            "the new token authenticates")
        try await shot("tokens")
        try await page.navigate(console + "/tokens")
        #expect(!(try await page.text).contains(created), "the token is shown once")
        // A second policy version (page views kept 90 days instead of 180), applied through the API, and its diff.
        let bundle = try JSONDecoder().decode(PolicyBody.self, from: try await http.call("GET", "/v1/policies", token: Self.rootToken).body)
        var files = bundle.files
        files["retention.yaml"] = try #require(files["retention.yaml"]).replacingOccurrences(of: "page_view: 180d", with: "page_view: 90d")
        let applied = try await http.call(
            "PUT", "/v1/policies", token: Self.rootToken,
            json: String(decoding: try JSONEncoder().encode(PolicyFilesBody(files: files)), as: UTF8.self))
        #expect(applied.status == 200)
        try await page.navigate(console + "/policies")
        let policies = try await page.text
        #expect(policies.contains("In force: v2") && policies.contains("page_view: 90d") && policies.contains("page_view: 180d"))
        try await shot("policies")
        try await page.navigate(console + "/keys")
        #expect(try await page.text.contains("Active master-key version"))
        try await shot("keys")

        // Every page and action is in the audit log, by the console's principals.
        let entries = try #require(
            try await http.object("GET", "/v1/audit?principal=dpo-browser&limit=500", token: Self.rootToken)["entries"] as? [[String: Any]])
        let actions = Set(entries.compactMap { $0["action"] as? String })
        for action in [
            "console.signin", "request.list", "request.read", "request.verify", "request.execute", "request.receipt", "audit.read",
            "audit.verify", "access.denied", "console.signout",
        ] {
            #expect(actions.contains(action), "\(action) audited")
        }

        for name in ["signin", "overview", "queue", "request", "audit", "tokens", "policies", "keys"] {
            let png = try Data(contentsOf: shots.appendingPathComponent("\(name).png"))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) && png.count > 5_000, "\(name).png is a real screenshot")
        }
        if let keep = ProcessInfo.processInfo.environment["PROFILEVAULT_KEEP_SCREENSHOTS"], !keep.isEmpty {
            try? FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: shots.path) {
                try? FileManager.default.removeItem(atPath: "\(keep)/\(name)")
                try FileManager.default.copyItem(atPath: shots.appendingPathComponent(name).path, toPath: "\(keep)/\(name)")
            }
        }
    }

    /// What a keyboard or screen-reader user, or a laptop, would miss on the page shown.
    static let accessibilityProblems = """
        (() => {
          const problems = [];
          if (document.documentElement.lang !== 'en') problems.push('no lang');
          if (!document.querySelector('a.skip[href="#main"]') || !document.getElementById('main')) problems.push('no skip link');
          for (const field of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
            if (!field.id || !document.querySelector('label[for="' + field.id + '"]')) problems.push('unlabelled ' + (field.name || field.tagName));
          }
          for (const th of document.querySelectorAll('th')) if (!th.getAttribute('scope')) problems.push('th without scope');
          for (const button of document.querySelectorAll('button')) if (!button.textContent.trim() && !button.getAttribute('aria-label')) problems.push('unnamed button');
          if (document.documentElement.scrollWidth > 1280) problems.push('wider than 1280px: ' + document.documentElement.scrollWidth);
          if (document.querySelectorAll('script').length > 0) problems.push('a script element');
          return problems.join(', ');
        })()
        """

    static func status(of request: String, _ http: ProcessHTTP, _ token: String) async throws -> String? {
        try await http.object("GET", "/v1/requests/\(request)", token: token)["status"] as? String
    }

    /// The downloaded file once Chromium has finished writing it (bounded).
    static func waitForFile(_ file: URL, timeout: Duration = .seconds(20)) async throws -> Data {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: file.path), !data.isEmpty, (try? JSONSerialization.jsonObject(with: data)) != nil {
                return data
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ChromiumDriver.Failure(description: "the download \(file.lastPathComponent) did not arrive")
    }
}

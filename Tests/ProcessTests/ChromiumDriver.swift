import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol on a pipe, with no dependency beyond
/// Debian's `chromium`: `--remote-debugging-pipe` makes it read NUL-terminated JSON commands
/// on fd 3 and write answers and events on fd 4. Every wait is bounded; `close()` ends the
/// browser (and kills it if it lingers).
final class ChromiumDriver: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// One message from the browser, summarised when it arrives; `raw` is parsed on demand.
    struct Message: Sendable {
        let id: Int?
        let method: String?
        let sessionID: String?
        let raw: Data
    }

    private struct State {
        var messages: [Message] = []
        var nextID = 1
        var closed = false
    }

    let pid: pid_t
    private let commands: Int32
    private let state = Mutex(State())
    static let timeout: Duration = .seconds(30)

    /// `PROFILEVAULT_CHROMIUM`, else `chromium` (Debian) or `chromium-browser` on the PATH.
    static func executable() -> String? {
        if let path = ProcessInfo.processInfo.environment["PROFILEVAULT_CHROMIUM"], !path.isEmpty { return path }
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser"] {
            for directory in directories where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") { return "\(directory)/\(name)" }
        }
        return nil
    }

    /// Starts Chromium with a fresh profile in `profile`; its own output goes to `profile/chromium.log`.
    init(executable: String, profile: URL) throws {
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        var toBrowser: [Int32] = [0, 0]
        var fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw Failure(description: "pipe() failed") }
        // Move all four ends above fd 4 with close-on-exec, so the child keeps only the dup2'd 3 and 4.
        func high(_ fd: Int32) -> Int32 {
            let moved = fcntl(fd, F_DUPFD_CLOEXEC, 10)
            Glibc.close(fd)
            return moved
        }
        let childReads = high(toBrowser[0])
        let parentWrites = high(toBrowser[1])
        let parentReads = high(fromBrowser[0])
        let childWrites = high(fromBrowser[1])

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let log = profile.appendingPathComponent("chromium.log").path
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, childReads, 3)
        posix_spawn_file_actions_adddup2(&actions, childWrites, 4)

        let arguments = [
            executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
            "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            "--mute-audio", "--hide-scrollbars", "--window-size=1280,900", "about:blank",
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, &argv, &envp)
        Glibc.close(childReads)
        Glibc.close(childWrites)
        guard status == 0 else {
            Glibc.close(parentWrites)
            Glibc.close(parentReads)
            throw Failure(description: "could not start \(executable): errno \(status)")
        }
        pid = child
        commands = parentWrites
        Thread.detachNewThread { [self] in collect(from: parentReads) }
    }

    /// Collects messages until the browser closes its end of the pipe.
    private func collect(from fd: Int32) {
        var pending = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            pending.append(contentsOf: buffer[0..<count])
            while let end = pending.firstIndex(of: 0) {
                let raw = Data(pending[pending.startIndex..<end])
                pending = Data(pending[(end + 1)...])
                let object = (try? JSONSerialization.jsonObject(with: raw)) as? [String: Any]
                let message = Message(id: object?["id"] as? Int, method: object?["method"] as? String, sessionID: object?["sessionId"] as? String, raw: raw)
                state.withLock { $0.messages.append(message) }
            }
        }
        Glibc.close(fd)
        state.withLock { $0.closed = true }
    }

    // MARK: Protocol

    /// Sends a command (to a page when `session` is given) and waits for its answer.
    @discardableResult
    func send(_ method: String, _ parameters: [String: Any] = [:], session: String? = nil, timeout: Duration = timeout) async throws -> [String: Any] {
        let id = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        var command: [String: Any] = ["id": id, "method": method, "params": parameters]
        if let session { command["sessionId"] = session }
        try write(try JSONSerialization.data(withJSONObject: command) + Data([0]))
        let answer = try await wait(timeout, "an answer to \(method)") { messages in messages.first { $0.id == id } }
        let object = (try JSONSerialization.jsonObject(with: answer.raw) as? [String: Any]) ?? [:]
        if let error = object["error"] as? [String: Any] {
            throw Failure(description: "\(method) failed: \(error["message"] as? String ?? "unknown error")")
        }
        return object["result"] as? [String: Any] ?? [:]
    }

    /// How many `method` events arrived (for one page when `session` is given).
    func eventCount(_ method: String, session: String? = nil) -> Int {
        state.withLock { $0.messages.filter { $0.method == method && (session == nil || $0.sessionID == session) }.count }
    }

    /// Waits until `method` has arrived more than `count` times.
    func waitForEvent(_ method: String, session: String?, after count: Int, timeout: Duration = timeout) async throws {
        _ = try await wait(timeout, "event \(method)") { messages in
            messages.filter { $0.method == method && (session == nil || $0.sessionID == session) }.count > count ? true : nil
        }
    }

    private func wait<T: Sendable>(_ timeout: Duration, _ what: String, _ found: ([Message]) -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (result, closed) = state.withLock { state in (found(state.messages), state.closed) }
            if let result { return result }
            if closed { throw Failure(description: "Chromium exited while waiting for \(what)") }
            if ContinuousClock.now > deadline { throw Failure(description: "timed out after \(timeout) waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private func write(_ data: Data) throws {
        try data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(commands, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw Failure(description: "writing to Chromium failed: errno \(errno)") }
                offset += written
            }
        }
    }

    // MARK: Browser

    /// Saves downloads into `directory` under the names the server suggests.
    func allowDownloads(into directory: URL) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await send("Browser.setDownloadBehavior", ["behavior": "allow", "downloadPath": directory.path, "eventsEnabled": true])
    }

    /// A new tab of `width`×`height` CSS pixels, attached with its own session.
    func newPage(width: Int = 1280, height: Int = 900) async throws -> ChromiumPage {
        let target = try await send("Target.createTarget", ["url": "about:blank"])
        guard let targetID = target["targetId"] as? String else { throw Failure(description: "no target id") }
        let attached = try await send("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw Failure(description: "no session id") }
        let page = ChromiumPage(browser: self, session: session, width: width)
        try await send("Page.enable", session: session)
        try await send("Runtime.enable", session: session)
        try await send("Emulation.setFocusEmulationEnabled", ["enabled": true], session: session)
        try await send("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false], session: session)
        return page
    }

    /// Asks the browser to close, then kills it if it is still there after 5 seconds.
    func close() {
        let id = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try? write(Data(#"{"id":\#(id),"method":"Browser.close"}"#.utf8) + Data([0]))
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(5)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(50_000)
        }
        Glibc.close(commands)
    }
}

/// One tab: navigation, script evaluation in the page, screenshots.
struct ChromiumPage: Sendable {
    let browser: ChromiumDriver
    let session: String
    let width: Int

    /// Loads `url` and waits for its load event.
    func navigate(_ url: String) async throws {
        try await navigation {
            let result = try await browser.send("Page.navigate", ["url": url], session: session)
            if let error = result["errorText"] as? String, !error.isEmpty { throw ChromiumDriver.Failure(description: "navigation to \(url) failed: \(error)") }
        }
    }

    /// Runs `action` (a click, a form submission) and waits for the page it leads to.
    func navigation(_ action: () async throws -> Void) async throws {
        let loads = browser.eventCount("Page.loadEventFired", session: session)
        try await action()
        try await browser.waitForEvent("Page.loadEventFired", session: session, after: loads)
    }

    /// Evaluates `script` in the page and waits for the navigation it starts (like a user's click).
    func perform(_ script: String) async throws {
        try await navigation { _ = try await evaluate(script) }
    }

    /// The value of a JavaScript expression (promises awaited).
    @discardableResult
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await browser.send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true], session: session)
        if let exception = result["exceptionDetails"] as? [String: Any] {
            let text = ((exception["exception"] as? [String: Any])?["description"] as? String) ?? (exception["text"] as? String) ?? "exception"
            throw ChromiumDriver.Failure(description: "script failed: \(text)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    func string(_ expression: String) async throws -> String { (try await evaluate(expression) as? String) ?? "" }

    var path: String { get async throws { try await string("location.pathname") } }
    var text: String { get async throws { try await string("document.body.innerText") } }
    /// The HTTP status of the document shown.
    var status: Int { get async throws { (try await evaluate("performance.getEntriesByType('navigation')[0].responseStatus") as? Int) ?? 0 } }

    /// Presses and releases a key, like a keyboard user (`Tab`, `Enter`).
    func press(_ key: String, code: Int) async throws {
        for type in ["rawKeyDown", "keyUp"] {
            try await browser.send("Input.dispatchKeyEvent", ["type": type, "key": key, "code": key, "windowsVirtualKeyCode": code], session: session)
        }
    }

    /// A PNG of the whole page (not only the viewport) written to `file`.
    func screenshot(to file: URL) async throws {
        let metrics = try await browser.send("Page.getLayoutMetrics", session: session)
        let content = metrics["cssContentSize"] as? [String: Any]
        let height = max(600, min(4000, Int(((content?["height"] as? Double) ?? 900).rounded(.up))))
        let shot = try await browser.send(
            "Page.captureScreenshot",
            [
                "format": "png", "captureBeyondViewport": true,
                "clip": ["x": 0, "y": 0, "width": width, "height": height, "scale": 1],
            ], session: session)
        guard let base64 = shot["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw ChromiumDriver.Failure(description: "no screenshot data")
        }
        try data.write(to: file)
    }

    /// `text` as a JavaScript string literal.
    static func literal(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }
}

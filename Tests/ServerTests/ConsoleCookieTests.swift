import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import VaultServer

/// The console reads its session only from the cookie name it sets: over TLS `__Host-pv_console`,
/// which a sibling host or a plain-HTTP response can't set, so a planted `pv_console` can't fix a
/// session on an officer's browser.
@Suite("Console session cookie")
struct ConsoleCookieTests {
    static let planted = String(repeating: "a", count: 64)
    static let own = String(repeating: "b", count: 64)

    static func request(cookie: String) -> Request {
        var fields = HTTPFields()
        fields[.cookie] = cookie
        return Request(
            head: HTTPRequest(method: .get, scheme: "https", authority: "vault.example", path: "/console", headerFields: fields),
            body: .init(buffer: ByteBuffer()))
    }

    @Test("over TLS only __Host-pv_console counts, whichever comes first")
    func tlsTakesOnlyTheHostPrefixedName() {
        let both = Self.request(cookie: "pv_console=\(Self.planted); __Host-pv_console=\(Self.own)")
        #expect(ConsoleCookie.session(in: both, secure: true) == Self.own)
        #expect(ConsoleCookie.session(in: Self.request(cookie: "pv_console=\(Self.planted)"), secure: true) == nil)
    }

    @Test("over plain HTTP the session is pv_console")
    func plainHTTPTakesThePlainName() {
        #expect(ConsoleCookie.session(in: Self.request(cookie: "pv_console=\(Self.own)"), secure: false) == Self.own)
        #expect(ConsoleCookie.session(in: Self.request(cookie: "__Host-pv_console=\(Self.own)"), secure: false) == nil)
    }
}

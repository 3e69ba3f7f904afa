import Testing

@testable import Policy

@Suite("Masks")
struct MaskActionTests {
    @Test(
        "email masks keep the first character and the domain",
        arguments: [
            ("ann.lee@example.com", "a***@example.com"), ("zoë@exämple.de", "z***@exämple.de"), ("a@b.co", "a***@b.co"),
            ("not-an-email", "***"), ("@example.com", "***"), ("", ""),
        ])
    func email(value: String, expected: String) {
        #expect(MaskAction.apply(.email, to: value) == expected)
    }

    @Test(
        "last4 keeps at most the last four characters",
        arguments: [
            ("DE89370400440532013000", "••••3000"), ("4242", "••••4242"), ("42", "••••42"), ("", ""),
        ])
    func last4(value: String, expected: String) {
        #expect(MaskAction.apply(.last4, to: value) == expected)
    }

    @Test(
        "initials work on any script",
        arguments: [
            ("Ann Lee", "A. L."), ("Ann-Marie  Lee", "A. M. L."), ("łukasz", "Ł."), ("Zoë", "Z."), ("李 小龍", "李. 小."), ("", ""), ("   ", ""),
        ])
    func initials(value: String, expected: String) {
        #expect(MaskAction.apply(.initials, to: value) == expected)
    }

    @Test(
        "phone masks keep the country prefix and last four digits",
        arguments: [
            ("+14155550100", "+1••••••0100"), ("+442079460958", "+4•••••••0958"), ("+3312", "•••12"), ("", ""),
        ])
    func phone(value: String, expected: String) {
        #expect(MaskAction.apply(.phone, to: value) == expected)
    }
}

/// Partial masks. They work on Characters, so names in any script mask cleanly, and never
/// reveal more than they promise on short or empty values.
public enum MaskAction {
    static let dot = "•"

    public static func apply(_ kind: MaskKind, to value: String) -> String {
        guard !value.isEmpty else { return "" }
        switch kind {
        case .email: return email(value)
        case .last4: return last4(value)
        case .initials: return initials(value)
        case .phone: return phone(value)
        }
    }

    /// `ann.lee@example.com` → `a***@example.com`.
    static func email(_ value: String) -> String {
        guard let at = value.lastIndex(of: "@"), at != value.startIndex else { return "***" }
        return String(value[value.startIndex]) + "***" + value[at...]
    }

    /// Keeps the last four characters: `DE89370400440532013000` → `••••3000`.
    static func last4(_ value: String) -> String {
        String(repeating: dot, count: 4) + value.suffix(4)
    }

    /// `Ann-Marie Lee` → `A. M. L.`; `Łukasz` → `Ł.`
    static func initials(_ value: String) -> String {
        value.split(whereSeparator: { $0.isWhitespace || $0 == "-" }).compactMap { $0.first.map { "\(String($0).uppercased())." } }
            .joined(separator: " ")
    }

    /// `+14155550100` → `+1•••••••0100`; short numbers show at most their last two digits.
    static func phone(_ value: String) -> String {
        let characters = Array(value)
        guard characters.count > 8 else { return String(repeating: dot, count: max(0, characters.count - 2)) + String(characters.suffix(2)) }
        return String(characters.prefix(2)) + String(repeating: dot, count: characters.count - 6) + String(characters.suffix(4))
    }
}

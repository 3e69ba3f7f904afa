/// Phone numbers to E.164 (`+14155550100`).
///
/// International input (`+…` or `00…`) is kept as dialled; national input is read with
/// the default region's country code and trunk prefix. A small region table covers the
/// regions we ship for; other regions need international input. This is not libphonenumber:
/// it checks lengths, not number ranges.
public enum PhoneNormalizer {
    struct Region {
        let countryCode: String
        let trunkPrefix: String?
        let nationalLengths: ClosedRange<Int>
    }

    static let regions: [String: Region] = [
        "US": Region(countryCode: "1", trunkPrefix: "1", nationalLengths: 10...10),
        "CA": Region(countryCode: "1", trunkPrefix: "1", nationalLengths: 10...10),
        "GB": Region(countryCode: "44", trunkPrefix: "0", nationalLengths: 9...10),
        "DE": Region(countryCode: "49", trunkPrefix: "0", nationalLengths: 6...13),
        "FR": Region(countryCode: "33", trunkPrefix: "0", nationalLengths: 9...9),
        "NL": Region(countryCode: "31", trunkPrefix: "0", nationalLengths: 9...9),
        "ES": Region(countryCode: "34", trunkPrefix: nil, nationalLengths: 9...9),
        "IT": Region(countryCode: "39", trunkPrefix: nil, nationalLengths: 6...11),
        "IE": Region(countryCode: "353", trunkPrefix: "0", nationalLengths: 7...9),
        "AU": Region(countryCode: "61", trunkPrefix: "0", nationalLengths: 9...9),
    ]

    public static var supportedRegions: [String] { regions.keys.sorted() }

    public static func e164(_ raw: String, defaultRegion: String) throws(NormalizationFailure) -> String {
        let text = Normalizers.trimmed(raw)
        guard !text.isEmpty else { throw .empty }
        // Only digits and the usual punctuation; letters (vanity numbers, "ext") are refused.
        guard text.unicodeScalars.allSatisfy({ "0123456789 +-.()/".unicodeScalars.contains($0) }) else {
            throw .invalid("not a phone number")
        }
        let plusCount = text.filter { $0 == "+" }.count
        guard plusCount == 0 || (plusCount == 1 && text.hasPrefix("+")) else { throw .invalid("not a phone number") }
        var written = text.filter { !$0.isWhitespace }
        if written.hasPrefix("+") || written.hasPrefix("00") {
            // "+44 (0)20 …": the trunk prefix written in brackets for national dialling is not
            // part of the number; kept, one number would get two blind indexes (two people).
            written = written.replacingOccurrences(of: "(0)", with: "")
        }
        var digits = written.filter(\.isNumber)
        var international = text.hasPrefix("+")
        if !international, digits.hasPrefix("00") {
            international = true
            digits.removeFirst(2)
        }
        if international {
            guard (8...15).contains(digits.count), digits.first != "0" else { throw .invalid("not a phone number") }
            return "+" + digits
        }
        guard let region = regions[defaultRegion.uppercased()] else { throw .invalid("national number in an unsupported region") }
        // A national trunk prefix (0 in most of Europe, 1 in NANP) is dialled, not part of the number.
        if let trunk = region.trunkPrefix, digits.hasPrefix(trunk), region.nationalLengths.contains(digits.count - trunk.count) {
            digits.removeFirst(trunk.count)
        }
        guard region.nationalLengths.contains(digits.count) else { throw .invalid("not a phone number") }
        if region.countryCode == "1" {
            // NANP: area code and exchange can't start with 0 or 1.
            let d = Array(digits)
            guard d[0] >= "2", d[3] >= "2" else { throw .invalid("not a phone number") }
        }
        return "+" + region.countryCode + digits
    }
}

import Foundation

/// One synthetic person: the ground truth behind the demo's noisy source records.
struct DemoPerson {
    let index: Int
    let firstName: String
    let lastName: String
    let email: String
    let phoneDigits: String
    let birthDate: String
    let street: String
    let city: String
    let postalCode: String
    let customerID: String
    let cardLast4: String
    let iban: String
    let deviceID: String
    let ipAddress: String

    static let firstNames = [
        "Ann", "Ben", "Chloé", "David", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kai", "Lena",
        "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor", "Wen", "Ximena",
        "Yusuf", "Zoë", "Amelia", "Bruno", "Carmen", "Dmitri", "Elif", "Felix",
    ]
    static let lastNames = [
        "Lee", "Müller", "Garcia", "Smith", "Nguyen", "Okafor", "Rossi", "Kowalski", "Dubois", "Tanaka",
        "Johansson", "Haddad", "O'Brien", "Silva", "Novak", "Patel", "Kim", "Schmidt", "Moreau", "Costa",
        "Fischer", "Ivanova", "Larsen", "Mendes",
    ]
    static let cities = [
        ("San Francisco", "941"), ("Oakland", "946"), ("Seattle", "981"), ("Portland", "972"),
        ("Austin", "787"), ("Denver", "802"), ("Boston", "021"), ("Chicago", "606"),
    ]
    static let streets = ["Market St", "Mission St", "Pine Ave", "Oak Blvd", "Lake Dr", "Hill Rd", "Cedar Ln", "Elm Ct"]
    static let domains = ["example.com", "example.org", "mail.example.net", "inbox.example.io"]

    static func make(index: Int, random: inout DemoRandom) -> DemoPerson {
        let first = random.pick(firstNames)
        let last = random.pick(lastNames)
        let asciiLast = last.replacingOccurrences(of: "'", with: "").folding(options: .diacriticInsensitive, locale: nil).lowercased()
        let asciiFirst = first.folding(options: .diacriticInsensitive, locale: nil).lowercased()
        let email = "\(asciiFirst).\(asciiLast)\(index)@\(random.pick(domains))"
        let area = random.int(201...989)
        let exchange = random.int(200...999)
        let line = random.int(0...9999)
        let phone = String(format: "%03d%03d%04d", area, exchange, line)
        let birth = String(format: "%04d-%02d-%02d", random.int(1940...2005), random.int(1...12), random.int(1...28))
        let (city, zipPrefix) = random.pick(cities)
        let bban = String(format: "%08d%010d", random.int(10_000_000...99_999_999), random.int(0...2_147_483_647))
        let device = (0..<16).map { _ in String(random.int(0...15), radix: 16) }.joined()
        return DemoPerson(
            index: index, firstName: first, lastName: last, email: email, phoneDigits: phone, birthDate: birth,
            street: "\(random.int(1...999)) \(random.pick(streets))", city: city,
            postalCode: zipPrefix + String(format: "%02d", random.int(0...99)),
            customerID: String(format: "C-%07d", index), cardLast4: String(format: "%04d", random.int(0...9999)),
            iban: germanIBAN(bban: bban), deviceID: device,
            ipAddress: "10.\(random.int(0...255)).\(random.int(0...255)).\(random.int(1...254))")
    }

    /// A German IBAN with valid ISO 13616 check digits.
    static func germanIBAN(bban: String) -> String {
        let rearranged = bban + "1314" + "00"  // "DE" → 13 14, check digits 00
        var remainder = 0
        for character in rearranged { remainder = (remainder * 10 + Int(String(character))!) % 97 }
        return "DE" + String(format: "%02d", 98 - remainder) + bban
    }
}

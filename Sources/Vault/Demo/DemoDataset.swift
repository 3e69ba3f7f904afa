import Foundation
import VaultModel

/// A synthetic multi-source dataset with ground truth, for `vaultd --demo` and for
/// measuring identity resolution.
///
/// Sources see the same people with realistic noise: case and spaces in emails, phone
/// punctuation, a few email typos, web visitors known only by device, and a few households
/// sharing one phone number (which a phone match wrongly merges).
public struct DemoDataset: Sendable {
    public struct Record: Sendable {
        public let source: String
        public let key: String
        public let fields: [String: String]
        /// Index of the real person behind the record (ground truth).
        public let person: Int
        public var json: JSONValue {
            .object([
                "key": .string(key), "observed_at": .string("2026-03-01T10:00:00Z"),
                "fields": .object(fields.mapValues { .string($0) }),
            ])
        }
    }

    public struct Event: Sendable {
        public let source: String
        public let id: String
        public let key: String
        public let type: String
        public let occurredAt: String
        public let attributes: [String: JSONValue]
        public var json: JSONValue {
            .object([
                "id": .string(id), "key": .string(key), "type": .string(type), "occurred_at": .string(occurredAt),
                "attributes": .object(attributes),
            ])
        }
    }

    public let people: Int
    public let records: [Record]
    public let events: [Event]

    public static let sources = ["crm", "billing", "support", "web"]

    /// `firstIndex`: people are numbered from it, so datasets generated in chunks (for stores
    /// larger than memory) hold distinct people: emails, customer ids and keys carry the index.
    public static func generate(people count: Int, seed: UInt64 = 42, firstIndex: Int = 0) -> DemoDataset {
        var random = DemoRandom(seed: seed)
        var people = (firstIndex..<(firstIndex + count)).map { DemoPerson.make(index: $0, random: &random) }
        // Households: about 1% of people share a phone with the previous person.
        for i in stride(from: 1, to: people.count, by: 1) where random.chance(0.01) {
            let p = people[i]
            people[i] = DemoPerson(
                index: p.index, firstName: p.firstName, lastName: people[i - 1].lastName, email: p.email,
                phoneDigits: people[i - 1].phoneDigits, birthDate: p.birthDate, street: people[i - 1].street,
                city: people[i - 1].city, postalCode: people[i - 1].postalCode, customerID: p.customerID,
                cardLast4: p.cardLast4, iban: p.iban, deviceID: p.deviceID, ipAddress: p.ipAddress)
        }
        var records: [Record] = []
        var events: [Event] = []
        // A person has at most 11 events: numbering from 16 per earlier person keeps ids unique across chunks.
        var eventCounter = firstIndex * 16
        func timestamp(_ r: inout DemoRandom) -> String {
            String(format: "2026-%02d-%02dT%02d:%02d:00Z", r.int(1...10), r.int(1...28), r.int(0...23), r.int(0...59))
        }
        for person in people {
            let crmKey = String(format: "crm-%07d", person.index)
            records.append(
                Record(
                    source: "crm", key: crmKey,
                    fields: [
                        "customer_id": person.customerID, "email": noisyEmail(person.email, &random), "phone": noisyPhone(person.phoneDigits, &random),
                        "first_name": person.firstName, "last_name": person.lastName, "birth_date": person.birthDate,
                        "street_address": person.street, "city": person.city, "postal_code": person.postalCode, "country": "US",
                    ], person: person.index))
            if random.chance(0.7) {
                let key = String(format: "bill-%06d", person.index)
                var fields = [
                    "email": typo(noisyEmail(person.email, &random), &random, rate: 0.03), "card_last4": person.cardLast4,
                    "first_name": person.firstName, "last_name": person.lastName,
                ]
                if random.chance(0.9) { fields["customer_id"] = person.customerID }
                if random.chance(0.3) { fields["iban"] = person.iban }
                records.append(Record(source: "billing", key: key, fields: fields, person: person.index))
                for _ in 0..<random.int(0...4) {
                    eventCounter += 1
                    events.append(
                        Event(
                            source: "billing", id: "ord-\(eventCounter)", key: key, type: "order", occurredAt: timestamp(&random),
                            attributes: ["amount": .number(Double(random.int(500...40000)) / 100), "currency": .string("USD")]))
                }
            }
            if random.chance(0.4) {
                let key = String(format: "sup-%06d", person.index)
                var fields = ["first_name": person.firstName, "last_name": person.lastName]
                if random.chance(0.7) {
                    fields["email"] = typo(noisyEmail(person.email, &random), &random, rate: 0.03)
                } else {
                    fields["phone"] = noisyPhone(person.phoneDigits, &random)
                }
                records.append(Record(source: "support", key: key, fields: fields, person: person.index))
                for _ in 0..<random.int(1...3) {
                    eventCounter += 1
                    events.append(
                        Event(
                            source: "support", id: "tkt-\(eventCounter)", key: key, type: "ticket", occurredAt: timestamp(&random),
                            attributes: [
                                "subject": .string(random.pick(["Login problem", "Refund request", "Delivery late", "Change address"])),
                                "status": .string(random.pick(["open", "pending", "closed", "closed"])),
                            ]))
                }
            }
            if random.chance(0.5) {
                let key = String(format: "web-%06d", person.index)
                var fields = ["device_id": person.deviceID.uppercased(), "ip_address": person.ipAddress]
                if random.chance(0.85) { fields["email"] = typo(noisyEmail(person.email, &random), &random, rate: 0.03) }
                records.append(Record(source: "web", key: key, fields: fields, person: person.index))
                for _ in 0..<random.int(1...4) {
                    eventCounter += 1
                    events.append(
                        Event(
                            source: "web", id: "pv-\(eventCounter)", key: key, type: "page_view", occurredAt: timestamp(&random),
                            attributes: ["url": .string(random.pick(["/pricing", "/products", "/account", "/help", "/checkout"]))]))
                }
            }
        }
        return DemoDataset(people: count, records: records, events: events)
    }

    static func noisyEmail(_ email: String, _ r: inout DemoRandom) -> String {
        var text = email
        if r.chance(0.3) { text = text.capitalized }
        if r.chance(0.2) { text = text.uppercased() }
        if r.chance(0.2) { text = " " + text + " " }
        return text
    }

    static func noisyPhone(_ digits: String, _ r: inout DemoRandom) -> String {
        let d = Array(digits)
        let area = String(d[0..<3])
        let exchange = String(d[3..<6])
        let line = String(d[6..<10])
        return r.pick([
            "(\(area)) \(exchange)-\(line)", "\(area)-\(exchange)-\(line)", "+1 \(area) \(exchange) \(line)",
            "\(area).\(exchange).\(line)", "1\(digits)", digits,
        ])
    }

    /// Swaps two adjacent letters of the local part at `rate`: a typo no normalizer can undo.
    static func typo(_ email: String, _ r: inout DemoRandom, rate: Double) -> String {
        guard r.chance(rate), let at = email.firstIndex(of: "@") else { return email }
        var chars = Array(email[..<at])
        let letters = chars.indices.filter { chars[$0].isLetter }
        guard letters.count > 3 else { return email }
        let i = letters[r.int(1...(letters.count - 2))]
        if chars[i] == chars[i - 1] { return email }
        chars.swapAt(i, i - 1)
        return String(chars) + email[at...]
    }
}

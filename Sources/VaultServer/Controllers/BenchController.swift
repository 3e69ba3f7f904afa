import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /bench/bare`, served only with `vaultd --bench-routes`: a fixed JSON body the size
/// and shape of a support view, through the same server and middleware but without
/// authentication, database, decryption, policy or audit. The benchmark's baseline: what
/// this binary does per request before any vault work (BENCHMARKS.md).
struct BenchController {
    static let body: ByteBuffer = {
        let fields = [
            "email": "a****@example.com", "phone": "+1415555****", "first_name": "Ann", "last_name": "Lee",
            "city": "Denver", "postal_code": "802**", "country": "US", "customer_id": "C-1", "device_id": "dev-9",
            "birth_date": "1990", "street_address": "[redacted]", "card_last4": "4242",
        ]
        let view: [String: Any] = [
            "subject_id": UUID().uuidString.lowercased(), "role": "support", "purpose": "essential.service.operations.support",
            "policy_version": "v1", "restricted": false, "fields": fields, "sources": ["billing", "crm", "support"],
            "aggregates": ["order_count": 2, "lifetime_value": 120.5, "open_tickets": 1],
        ]
        return ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: view, options: [.sortedKeys])) ?? Data("{}".utf8))
    }()

    func register(on router: Router<AppRequestContext>) {
        router.get("/bench/bare") { _, _ in BenchFloorController.fixedBody() }
    }
}

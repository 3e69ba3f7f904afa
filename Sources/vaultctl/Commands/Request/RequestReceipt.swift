import ArgumentParser
import Foundation
import VaultAPI
import VaultCrypto

struct RequestReceipt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "receipt", abstract: "Show an erasure receipt; --verify checks its Ed25519 signature.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var id: String
    @Flag(help: "Verify the signature against the vault's published key (GET /v1/keys); exit 1 if it doesn't hold.") var verify = false

    func run() async throws {
        try await reporting {
            let client = try connection.client()
            let receipt: ReceiptBody = try await client.send("GET", "v1/requests/\(id)/receipt", as: ReceiptBody.self)
            if connection.json {
                try Output.json(receipt)
            } else {
                Output.line(receipt.signed)
                Output.line()
                Output.table(["NOTICE", "SOURCE", "ACKNOWLEDGED"], receipt.notices.map { [$0.id, $0.source, $0.acked_at ?? "not yet"] })
            }
            guard verify else { return }
            let keys: KeysBody = try await client.send("GET", "v1/keys", as: KeysBody.self)
            guard let keyBytes = Data(base64Encoded: keys.signing_public_key), let signature = Data(base64Encoded: receipt.signature),
                receipt.public_key == keys.signing_public_key,
                Ed25519PublicKey(bytes: [UInt8](keyBytes)).isValidSignature([UInt8](signature), for: Array(receipt.signed.utf8))
            else { throw Failure.failed("the receipt's signature does not verify against the vault's key") }
            Output.line("Signature valid: Ed25519 by key \(keys.signing_public_key.prefix(16))…")
        }
    }
}

import Foundation
import VaultModel

/// First-start chores: the initial admin token and the demo dataset.
public struct Bootstrap: Sendable {
    let vault: ProfileVault
    public init(vault: ProfileVault) { self.vault = vault }

    /// Creates the admin token when the vault has none yet. `preset` (from
    /// `PROFILEVAULT_ROOT_TOKEN`) becomes that token instead of a random one, for automation.
    /// Returns the token to print once, or nil when tokens already exist.
    public func initialAdminToken(preset: String?) async throws -> Sensitive<String>? {
        guard try await !vault.tokens.hasAnyToken() else { return nil }
        return try await vault.tokens.create(principal: "root", kind: .role(.admin), caller: .system("bootstrap"), presetToken: preset).token
    }

    public struct DemoResult: Sendable {
        public let summary: DemoLoader.Summary
        public let tokens: [(principal: String, scope: String, token: Sensitive<String>)]
    }

    /// Loads the demo dataset and creates a token per role and per source to try it with;
    /// nil when the vault already holds subjects (the demo is loaded once).
    public func loadDemo(people: Int) async throws -> DemoResult? {
        guard try await vault.store.subjectCount() == 0 else { return nil }
        let summary = try await DemoLoader(vault: vault).load(DemoDataset.generate(people: people))
        var tokens: [(String, String, Sensitive<String>)] = []
        for role in ["compliance", "support", "marketing", "billing", "analytics"] {
            let created = try await vault.tokens.create(principal: "demo-\(role)", kind: .role(RoleName(role)), caller: .system("demo"))
            tokens.append(("demo-\(role)", "role \(role)", created.token))
        }
        for source in DemoDataset.sources {
            let created = try await vault.tokens.create(principal: "demo-\(source)-sync", kind: .ingest(SourceName(source)!), caller: .system("demo"))
            tokens.append(("demo-\(source)-sync", "source \(source)", created.token))
        }
        return DemoResult(summary: summary, tokens: tokens)
    }
}

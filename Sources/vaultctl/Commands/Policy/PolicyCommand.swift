import ArgumentParser

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Validate, test, apply and inspect policy bundles.",
        discussion: "validate and test run offline on a local bundle (policies/ by default); apply, diff, show and history talk to vaultd (admin).",
        subcommands: [PolicyValidate.self, PolicyTestCommand.self, PolicyApply.self, PolicyDiff.self, PolicyShow.self, PolicyHistory.self])
}

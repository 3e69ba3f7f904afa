/// The release of vaultd and vaultctl, printed by `--version` on both.
public enum ProductVersion {
    public static let current = "0.12.0"
}

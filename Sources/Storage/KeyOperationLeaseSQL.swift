/// The key-operation lease, written once for both stores (`$n` placeholders bind by position
/// in SQLite and PostgreSQL alike).
///
/// Rotations and retirements change the key file and the keyring together; two at once (a
/// double click, a retried command, two replicas) wrote different keys under one version
/// number. The lease is one row: taking it succeeds only if no row exists or the holder's
/// lease has expired, so a holder killed mid-rotation blocks others only until its expiry.
public enum KeyOperationLeaseSQL {
    /// Binds: holder, expires_at (ms), now (ms). One changed row means the lease is taken.
    public static let acquire = """
        INSERT INTO key_operation_lease (id, holder, expires_at) VALUES (1, $1, $2)
        ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE key_operation_lease.expires_at < $3
        """
    /// Binds: holder.
    public static let release = "DELETE FROM key_operation_lease WHERE id = 1 AND holder = $1"
}

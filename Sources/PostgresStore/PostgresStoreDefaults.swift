/// The PostgreSQL store's limits and names, in one place.
public enum PostgresStoreDefaults {
    /// The size of one row of `message_chunks`: a big message is many rows, never one huge value, so
    /// neither side holds it whole in one protocol message.
    public static let chunkBytes = 256 * 1024
    /// The LISTEN/NOTIFY channel on which every committed change of a mailbox is announced.
    ///
    /// The payload is the mailbox's id. An IDLE session on any node hears a delivery made on another.
    public static let changeChannel = "correo_mailbox_changes"
    /// How long a node waits before it listens again after its `LISTEN` connection failed.
    public static let changeListenRetry: Duration = .seconds(1)
    /// How many users' INBOX rows a node keeps between the RCPT check and the delivery (`InboxCache`).
    static let inboxCacheCapacity = 10_000
    /// How many bytes of header sections and derived values a node keeps in memory (`MessageValueCache`).
    static let messageValueCacheBytes = 32 * 1024 * 1024
    /// How many expunged UIDs each mailbox remembers for RFC 7162's VANISHED (EARLIER), newest first.
    static let expungedMessagesKept = 10_000
    /// Pruning is tried after one expunge in this many (by the expunge's mod-sequence), so that the
    /// count behind it is not paid by every EXPUNGE.
    static let expungedPruneEvery: Int64 = 64
    /// The SQLSTATE of a unique violation (a user or mailbox that exists already).
    static let uniqueViolation = "23505"
}

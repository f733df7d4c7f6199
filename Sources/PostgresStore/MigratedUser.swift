/// What `MaildirMigration` did with one user, for `correo migrate` to print.
public struct MigratedUser: Sendable, Hashable {
    /// The user's address, lowercased.
    public var address: String
    /// True when the target had the user already, so nothing of it was copied.
    public var skipped: Bool
    /// How many mailboxes were copied.
    public var mailboxes: Int = 0
    /// How many messages were copied.
    public var messages: Int = 0
    /// Their size in bytes, as stored (CRLF line ends).
    public var bytes: Int = 0

    /// A report for `address`.
    public init(address: String, skipped: Bool) {
        self.address = address
        self.skipped = skipped
    }
}

/// Every limit and default of the mail merge, in one place.
public enum MailMergeDefaults {
    /// Largest list file read, in bytes.
    public static let maximumListSize = 256 * 1024 * 1024
    /// Largest template or attachment file read, in bytes.
    public static let maximumFileSize = 64 * 1024 * 1024
    /// Connections used at once when not told.
    public static let connections = 2
    /// Most connections at once.
    public static let maximumConnections = 16
    /// Tries for a message the server refuses with 4yz (the first included).
    public static let attempts = 4
    /// Wait before the first retry; doubled for each next one.
    public static let firstRetryDelay: Duration = .milliseconds(500)
    /// Longest envelope address (RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its brackets).
    public static let maximumAddressLength = 254
    /// Column names that mark a header row's address column.
    public static let addressColumnNames: Set<String> = [
        "email", "e-mail", "mail", "address", "email address", "e-mail address", "emailaddress", "to",
    ]
}

/// Every limit of the IMAP server in one place. Each has a protocol answer when exceeded
/// (`BAD` for syntax limits, `NO [TOOBIG]` for APPEND, `BYE` for connection-level limits)
/// and is tested at N (accepted) and N+1 (refused).
public enum IMAPDefaults {
    /// Longest command line (without literals), in octets. RFC 7162 §4 asks servers to accept
    /// at least 8192 octets; clients build long UID sets, so we allow more.
    public static let maxLineLength = 64 * 1024
    /// Largest literal accepted in any command other than APPEND (LOGIN passwords, SEARCH strings…).
    public static let maxLiteralSize = 1024 * 1024
    /// Total size of one command (lines plus literals) other than APPEND.
    public static let maxCommandSize = 2 * 1024 * 1024
    /// Largest message accepted by APPEND; advertised as `APPENDLIMIT=` (RFC 7889).
    public static let appendLimit = 50 * 1024 * 1024
    /// Failed LOGIN/AUTHENTICATE attempts before the server says BYE and closes.
    public static let maxFailedLogins = 3
    /// Delay before answering a failed login, multiplied by the number of failures so far.
    public static let failedLoginDelayMilliseconds = 1000
    /// Autologout timer (RFC 3501 §5.4: at least 30 minutes); IDLE clients re-arm it (RFC 2177).
    public static let idleTimeoutSeconds = 30 * 60
    /// Shorter autologout for connections that have not logged in.
    public static let unauthenticatedTimeoutSeconds = 60
    /// Consecutive BAD commands before the server says BYE (a client that is not speaking IMAP).
    public static let maxConsecutiveBadCommands = 20
    /// Nesting depth of parenthesised lists (SEARCH keys, BODYSTRUCTURE) the parser accepts.
    public static let maxNestingDepth = 32
}

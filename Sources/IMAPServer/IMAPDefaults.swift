/// Every limit of the IMAP server in one place.
///
/// Each has a protocol answer when exceeded (`BAD` for syntax limits, `NO [TOOBIG]` for APPEND, `BYE` for
/// connection-level limits) and is tested at N (accepted) and N+1 (refused).
public enum IMAPDefaults {
    /// Longest command line (without literals), in octets.
    ///
    /// RFC 7162 §4 asks servers to accept at least 8192 octets; clients build long UID sets, so we allow more.
    public static let maxLineLength = 64 * 1024
    /// Largest literal accepted in any command other than APPEND (LOGIN passwords, SEARCH strings…).
    public static let maxLiteralSize = 1024 * 1024
    /// Total size of one command (lines plus literals) other than APPEND.
    public static let maxCommandSize = 2 * 1024 * 1024
    /// Largest message accepted by APPEND; advertised as `APPENDLIMIT=` (RFC 7889).
    public static let appendLimit = 50 * 1024 * 1024
    /// APPEND messages larger than this are written to a file as they arrive instead of held in memory.
    public static let appendStreamThreshold = 256 * 1024
    /// Octets of a streamed APPEND read from the socket but not yet written to its file, before the
    /// server stops reading: a disk slower than the network slows the client instead of filling memory.
    public static let unwrittenAppendBytes = 1024 * 1024
    /// Failed LOGIN/AUTHENTICATE attempts before the server says BYE and closes.
    public static let maxFailedLogins = 3
    /// Delay before answering a failed login, multiplied by the number of failures so far.
    public static let failedLoginDelayMilliseconds = 1000
    /// Autologout timer (RFC 3501 §5.4: at least 30 minutes); IDLE clients re-arm it (RFC 2177).
    public static let idleTimeoutSeconds = 30 * 60
    /// Connections open at once over all IMAP listeners; more get `* BYE` and are closed.
    public static let maxConnections = 1000
    /// Connections open at once from one client address (a client opens a few per account).
    public static let maxConnectionsPerAddress = 20
    /// Autologout for connections that have not logged in: a deadline from the connection's start.
    public static let unauthenticatedTimeoutSeconds = 60
    /// Consecutive BAD commands before the server says BYE (a client that is not speaking IMAP).
    public static let maxConsecutiveBadCommands = 20
    /// Nesting depth of parenthesised lists (SEARCH keys, BODYSTRUCTURE) the parser accepts.
    public static let maxNestingDepth = 32
    /// Commands one connection may send back to back before the rate limit applies (the bucket's size).
    ///
    /// Real clients stay far below: Thunderbird waits for most answers, and mbsync pipelining a big sync issues a few
    /// hundred UID FETCH/STORE commands at once.
    public static let commandBurst = 1000
    /// Sustained commands per second per connection once the burst is spent.
    ///
    /// A client over it is not refused but read more slowly (the handler stops reading until a token comes back); 200 a
    /// second is more than any client needs, since real clients wait for FETCH data and put many UIDs in one command,
    /// yet a flood cannot keep a mailbox store and an event loop busy.
    public static let commandsPerSecond = 200
    /// Commands already read and waiting for a rate-limit token before the server says
    /// `* BYE Too many commands` and closes: ten bursts sent without waiting for a single answer
    /// is a flood, not pipelining.
    public static let maxQueuedCommands = 10 * commandBurst
    /// The receive buffer a connection starts with, in octets (NIO's adaptive default is 2,048).
    ///
    /// NIO keeps each connection's receive buffer between reads, so an idle connection holds it for hours; commands
    /// are short, and a bulk APPEND or TLS grows the buffer within two reads (up to 64 KiB).
    public static let initialReceiveBufferBytes = 512
}

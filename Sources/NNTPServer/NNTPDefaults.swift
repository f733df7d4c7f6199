/// The NNTP server's limits, each with its protocol answer.
public enum NNTPDefaults {
    /// RFC 3977 §3.1: command lines are at most 512 octets with CRLF; longer lines get 501.
    public static let maximumCommandLineBytes = 510
    /// A line of a posted article longer than this ends the connection (400): no newsreader writes one.
    public static let maximumArticleLineBytes = 64 * 1024
    /// A posted article larger than this is read to its end and refused (441).
    public static let maximumArticleBytes = 1 << 20
    /// Commands a session queues while an earlier one is still being answered (pipelining, §3.5); past
    /// it the session ends the connection with 400.
    ///
    /// The channel handler never gets there: it holds pipelined lines back itself (see `pipelineWindowBytes`).
    public static let maximumQueuedCommands = 100
    /// Pipelined input the channel handler keeps while a command is answered; past it the server stops
    /// reading the socket until it has caught up (back-pressure, not a refusal).
    public static let pipelineWindowBytes = 64 * 1024
    /// Failed AUTHINFO attempts on one connection before it is ended (481, then 400).
    public static let maximumFailedLogins = 3
    /// Connections at once over every NNTP listener; more get 400 and are closed.
    public static let maximumConnections = 1000
    /// Connections at once from one client address.
    public static let maximumConnectionsPerAddress = 20
    /// An idle connection is ended after this long (400), like INN's ten minutes.
    public static let idleTimeout: Duration = .seconds(600)
}

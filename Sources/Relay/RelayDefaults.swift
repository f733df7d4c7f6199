import Foundation

/// The relay's limits and schedule, in one place.
///
/// Every figure is a setting of `RelaySettings` too, so that a lab can shrink five days to seconds.
public enum RelayDefaults {
    /// First retry after a temporary failure (Postfix's minimal_backoff_time).
    public static let firstRetry: TimeInterval = 300
    /// Retries back off by doubling up to this (Postfix's maximal_backoff_time is 4000 s).
    public static let maximumRetry: TimeInterval = 3600
    /// A message not delivered after this long is bounced (Postfix's maximal_queue_lifetime).
    public static let queueLifetime: TimeInterval = 5 * 86400
    /// The sender is told of a delay once, after this long (RFC 3464 `Action: delayed`).
    public static let delayWarning: TimeInterval = 4 * 3600
    /// The port MX hosts are reached on (RFC 5321 §4.5.4.2 wants 25; labs use another).
    public static let mxPort = 25
    /// Connections to one destination domain at once.
    public static let connectionsPerDestination = 4
    /// Connections in all at once.
    public static let connections = 20
    /// Recipients in one transaction (RFC 5321 §4.5.3.1.8 requires servers to take at least 100).
    public static let recipientsPerTransaction = 100
    /// MX hosts tried per attempt (RFC 5321 §5.1: a sender should try at least two).
    public static let maximumMXHosts = 10
    /// How often the queue folder is read again for messages queued by other processes or changed by
    /// `correo queue` (a flush is noticed at the next look).
    public static let rescanInterval: TimeInterval = 5
    /// How long a node's claim on a queued message lasts (PostgreSQL store: nodes share one queue): longer
    /// than an attempt can take (RFC 5321 §4.5.3.2's longest wait is DATA's 10 minutes), so that a claim
    /// runs out only when its node died, which delays that message by at most this much.
    public static let claimLease: TimeInterval = 900
}

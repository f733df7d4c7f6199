import NIOCore
import SMTPCore

/// What a session needs to know about the server: names, policy and limits.
public struct SMTPSessionConfiguration: Sendable {
    /// The name the server gives itself in the greeting, EHLO reply and Received: headers.
    public var hostname: String
    /// Domains mail is accepted for, lower-cased; matching is case-insensitive.
    public var localDomains: Set<String>
    /// The kind of listener this session came in on.
    public var listener: SMTPListenerKind
    /// Whether a TLS context exists, so STARTTLS can be offered.
    public var tlsAvailable: Bool
    /// Whether AUTH is offered and accepted without TLS (loopback testing only).
    public var allowPlaintextAuth: Bool
    /// Whether an authenticated sender may only use its own address in MAIL FROM (`553 5.7.1`).
    public var requireSenderToMatchAuthenticatedUser: Bool
    /// Where mail to `postmaster@<local domain>` and `<Postmaster>` goes (RFC 5321 4.5.1).
    ///
    /// When nil, it goes to the user `postmaster@<domain>` if one exists, and is refused with `550 5.1.1` otherwise.
    public var postmasterMailbox: String?
    /// The largest message accepted, advertised with SIZE (RFC 1870).
    public var maximumMessageSize: Int
    /// Recipients per message; more get `452 4.5.3` (RFC 5321 4.5.3.1.10).
    public var maximumRecipients: Int
    /// Error replies in one session before it is closed with `421 4.7.0`.
    public var maximumErrors: Int
    /// Failed AUTH attempts in one session before it is closed with `421 4.7.0`.
    public var maximumAuthenticationFailures: Int
    /// The pause before a failed AUTH's `535`, times the session's failures so far (plus what the
    /// address's failures over all sessions add); zero answers at once.
    public var authenticationFailureDelay: TimeAmount = .zero
    /// Whether a failed-login throttle shared with other sessions and protocols (ServerSupport's
    /// `AuthThrottle`) keeps count: the session then asks it before checking credentials
    /// (`.checkAuthThrottle`) and reports each outcome (`.recordAuthenticationSuccess`, `…Failure`).
    public var sharesAuthThrottle = false
    /// Whether an outbound queue exists: authenticated users may then send to other domains, and the DSN
    /// extension (RFC 3461) is offered.
    ///
    /// Without it, such recipients get `451 4.3.0`.
    public var relays = false
    /// Whether mail for local users only goes through the outbound queue too (durable there before the
    /// `250`, delivered into the Maildirs moments later), rather than straight into the Maildirs.
    public var queuesLocalMail = false
    /// Scripted faults for testing senders (`correo serve --dev`); nil in normal service.
    public var faults: SMTPFaultScript?
    /// Whether every domain counts as local (the developer's catch-all): recipients at any domain are
    /// looked up in the delivery target, and nothing is relayed.
    public var acceptsEveryDomain = false

    /// The session's settings; what is not given takes the defaults documented on each property.
    public init(
        hostname: String,
        localDomains: [String],
        listener: SMTPListenerKind = .mx,
        tlsAvailable: Bool = false,
        allowPlaintextAuth: Bool = false,
        requireSenderToMatchAuthenticatedUser: Bool = true,
        postmasterMailbox: String? = nil,
        maximumMessageSize: Int = SMTPDefaults.messageSize,
        maximumRecipients: Int = SMTPDefaults.recipients,
        maximumErrors: Int = SMTPServerDefaults.errorsPerSession,
        maximumAuthenticationFailures: Int = SMTPServerDefaults.authenticationFailures
    ) {
        self.hostname = hostname
        self.localDomains = Set(localDomains.map { $0.lowercased() })
        self.listener = listener
        self.tlsAvailable = tlsAvailable
        self.allowPlaintextAuth = allowPlaintextAuth
        self.requireSenderToMatchAuthenticatedUser = requireSenderToMatchAuthenticatedUser
        self.postmasterMailbox = postmasterMailbox
        self.maximumMessageSize = maximumMessageSize
        self.maximumRecipients = maximumRecipients
        self.maximumErrors = maximumErrors
        self.maximumAuthenticationFailures = maximumAuthenticationFailures
    }
}

extension SMTPSessionConfiguration {
    /// This configuration with `relays` set.
    func relaying(_ relays: Bool, queuesLocalMail: Bool = false) -> SMTPSessionConfiguration {
        var copy = self
        copy.relays = relays
        copy.queuesLocalMail = relays && queuesLocalMail
        return copy
    }

    /// This configuration with `acceptsEveryDomain` set.
    func catchingAll(_ everyDomain: Bool) -> SMTPSessionConfiguration {
        var copy = self
        copy.acceptsEveryDomain = everyDomain
        return copy
    }

    /// This configuration with `authenticationFailureDelay` set.
    func pausing(_ delay: TimeAmount) -> SMTPSessionConfiguration {
        var copy = self
        copy.authenticationFailureDelay = delay
        return copy
    }

    /// This configuration with `faults` set.
    func scripted(_ faults: SMTPFaultScript?) -> SMTPSessionConfiguration {
        var copy = self
        copy.faults = faults
        return copy
    }

    /// This configuration with `sharesAuthThrottle` set.
    func throttled(_ shared: Bool) -> SMTPSessionConfiguration {
        var copy = self
        copy.sharesAuthThrottle = shared
        return copy
    }
}

/// The server's own limits, beside the protocol ones in `SMTPDefaults`.
public enum SMTPServerDefaults {
    /// `Received:` fields a message may carry before it is refused as looping (RFC 5321 §6.3: "a
    /// simple counting … a limit of at least 100").
    public static let maximumHops = 100
    /// Error replies (5xx to commands) in one session before `421 4.7.0` and close.
    public static let errorsPerSession = 10
    /// Failed AUTH attempts in one session before `421 4.7.0` and close.
    public static let authenticationFailures = 3
    /// The pause before answering a failed AUTH, multiplied by the number of failures so far.
    public static let authenticationFailureDelay: TimeAmount = .seconds(1)
    /// Connections open at once, over all listeners; more get `421 4.7.0` and are closed.
    public static let connections = 1000
    /// Connections open at once from one client address.
    public static let connectionsPerAddress = 20
    /// Idle time before the server gives up on a client (RFC 5321 4.5.3.2.7).
    public static let idleTimeout: TimeAmount = .seconds(SMTPDefaults.Timeout.server)
    /// Message octets handed to the store and not yet written, before the server stops reading.
    public static let unwrittenMessageBytes = 1024 * 1024
    /// How long a graceful shutdown waits for sessions to finish their transaction.
    public static let shutdownGracePeriod: TimeAmount = .seconds(30)
}

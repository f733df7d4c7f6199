import NIOCore
import SMTPCore
import ServerSupport

/// Everything the SMTP server is told at start.
public struct SMTPServerConfiguration: Sendable {
    /// The name in the greeting, EHLO reply and Received: headers.
    public var hostname: String
    /// Domains mail is accepted for (case-insensitive).
    public var localDomains: [String]
    /// AUTH without TLS (loopback testing only).
    public var allowPlaintextAuth: Bool
    /// An authenticated sender may only use its own address in MAIL FROM.
    public var requireSenderToMatchAuthenticatedUser: Bool
    /// Where postmaster mail goes; see `SMTPSessionConfiguration.postmasterMailbox`.
    public var postmasterMailbox: String?
    /// The largest message accepted, advertised with SIZE (RFC 1870).
    public var maximumMessageSize: Int
    /// Recipients per message; more get `452 4.5.3`.
    public var maximumRecipients: Int
    /// Error replies in one session before `421 4.7.0` and close.
    public var maximumErrors: Int
    /// Failed AUTH attempts in one session before `421 4.7.0` and close.
    public var maximumAuthenticationFailures: Int
    /// Connections at once over all listeners, then per client address; more get `421 4.7.0`.
    public var maximumConnections: Int
    /// Connections at once from one client address.
    public var maximumConnectionsPerAddress: Int
    /// RFC 5321 4.5.3.2.7: how long the server waits for the next whole command or data line (octets
    /// trickled without completing a line do not restart it).
    public var idleTimeout: TimeAmount
    /// The pause before a failed AUTH's answer, times the failures so far.
    public var authenticationFailureDelay: TimeAmount
    /// How long a graceful shutdown lets sessions finish.
    public var shutdownGracePeriod: TimeAmount
    /// Failed AUTH counted per client address, shared with the IMAP server; nil counts per session only.
    public var authThrottle: AuthThrottle?
    /// Whether an outbound queue takes authenticated users' mail for other domains (and DSN is offered).
    public var relays = false
    /// With `relays`: local mail goes through the queue too (`--local-delivery queue`).
    public var queuesLocalMail = false
    /// Scripted faults for testing senders (`correo serve --dev`), shared by every session; nil in
    /// normal service.
    public var faults: SMTPFaultScript?
    /// Every domain is local (`correo serve --dev`, the catch-all): each recipient is looked up in the
    /// delivery target, none is relayed.
    public var acceptsEveryDomain = false

    /// The server's settings; what is not given takes the defaults documented on each property.
    public init(
        hostname: String,
        localDomains: [String],
        allowPlaintextAuth: Bool = false,
        requireSenderToMatchAuthenticatedUser: Bool = true,
        postmasterMailbox: String? = nil,
        maximumMessageSize: Int = SMTPDefaults.messageSize,
        maximumRecipients: Int = SMTPDefaults.recipients,
        maximumErrors: Int = SMTPServerDefaults.errorsPerSession,
        maximumAuthenticationFailures: Int = SMTPServerDefaults.authenticationFailures,
        maximumConnections: Int = SMTPServerDefaults.connections,
        maximumConnectionsPerAddress: Int = SMTPServerDefaults.connectionsPerAddress,
        idleTimeout: TimeAmount = SMTPServerDefaults.idleTimeout,
        authenticationFailureDelay: TimeAmount = SMTPServerDefaults.authenticationFailureDelay,
        shutdownGracePeriod: TimeAmount = SMTPServerDefaults.shutdownGracePeriod,
        authThrottle: AuthThrottle? = nil
    ) {
        self.hostname = hostname
        self.localDomains = localDomains
        self.allowPlaintextAuth = allowPlaintextAuth
        self.requireSenderToMatchAuthenticatedUser = requireSenderToMatchAuthenticatedUser
        self.postmasterMailbox = postmasterMailbox
        self.maximumMessageSize = maximumMessageSize
        self.maximumRecipients = maximumRecipients
        self.maximumErrors = maximumErrors
        self.maximumAuthenticationFailures = maximumAuthenticationFailures
        self.maximumConnections = maximumConnections
        self.maximumConnectionsPerAddress = maximumConnectionsPerAddress
        self.idleTimeout = idleTimeout
        self.authenticationFailureDelay = authenticationFailureDelay
        self.shutdownGracePeriod = shutdownGracePeriod
        self.authThrottle = authThrottle
    }

    /// The session policy for one listener.
    public func session(for listener: SMTPListenerKind, tlsAvailable: Bool) -> SMTPSessionConfiguration {
        SMTPSessionConfiguration(
            hostname: hostname,
            localDomains: localDomains,
            listener: listener,
            tlsAvailable: tlsAvailable,
            allowPlaintextAuth: allowPlaintextAuth,
            requireSenderToMatchAuthenticatedUser: requireSenderToMatchAuthenticatedUser,
            postmasterMailbox: postmasterMailbox,
            maximumMessageSize: maximumMessageSize,
            maximumRecipients: maximumRecipients,
            maximumErrors: maximumErrors,
            maximumAuthenticationFailures: maximumAuthenticationFailures
        ).relaying(relays, queuesLocalMail: queuesLocalMail).pausing(authenticationFailureDelay)
            .catchingAll(acceptsEveryDomain).scripted(faults).throttled(authThrottle != nil)
    }
}

/// A listener to open: its kind and address (port 0 picks a free port).
public struct SMTPListener: Hashable, Sendable, ListenerAddress {
    /// The policy of the listener.
    public var kind: SMTPListenerKind
    /// The address to bind to.
    public var host: String
    /// The port; 0 picks a free one (and `start` returns it).
    public var port: Int

    /// A listener of `kind` on `host`:`port` (0: the system picks one).
    public init(kind: SMTPListenerKind, host: String, port: Int) {
        self.kind = kind
        self.host = host
        self.port = port
    }
}

/// Errors in starting the server.
public enum SMTPServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The submissions listener needs a TLS certificate.
    case implicitTLSWithoutCertificate
    case alreadyStarted

    /// What went wrong, for the operator's log.
    public var description: String {
        switch self {
        case .implicitTLSWithoutCertificate: "the SMTPS (implicit TLS) listener needs a certificate and key"
        case .alreadyStarted: "the SMTP server was already started"
        }
    }
}

import Foundation
import SMTPClient
import SMTPCore

/// How the relay reaches other hosts.
public struct RelaySettings: Sendable {
    /// A host that takes all outbound mail (`--relay-host`), for networks where port 25 is blocked.
    public struct Smarthost: Sendable, Hashable {
        /// The smarthost's name or address.
        public var host: String
        /// The smarthost's port: 587 or 465 for submission, 25 for a plain relay.
        public var port: Int
        /// `.implicit` on 465, STARTTLS (required) elsewhere.
        public var tls: SMTPClient.TLSMode
        /// Which certificates of the smarthost are accepted.
        public var trust: SMTPClient.Trust
        /// The user name and password for SMTP AUTH at the smarthost, if it wants them.
        public var credentials: SMTPCredentials?

        /// Makes smarthost settings; the certificate must verify against the system's roots unless `trust` says
        /// otherwise.
        public init(
            host: String,
            port: Int,
            tls: SMTPClient.TLSMode,
            trust: SMTPClient.Trust = .system,
            credentials: SMTPCredentials? = nil
        ) {
            self.host = host
            self.port = port
            self.tls = tls
            self.trust = trust
            self.credentials = credentials
        }
    }

    /// TLS towards MX hosts (RFC 3207; RFC 7435's opportunistic security is the default).
    public enum TLSPolicy: String, Sendable, Hashable, CaseIterable {
        /// Never STARTTLS.
        case none
        /// STARTTLS when offered, certificate not checked (most MX certificates would not verify).
        case opportunistic
        /// STARTTLS must succeed; certificate not checked.
        case required
        /// STARTTLS must succeed with a certificate that verifies for the MX host name.
        case verify
    }

    /// The name given in EHLO (the host's public name, which receivers check against its PTR).
    public var hostname: String
    /// The port MX hosts listen on (25; a lab uses another).
    public var mxPort: Int
    /// When to retry, warn and give up.
    public var schedule: RetrySchedule
    /// TLS towards MX hosts, for every domain without an entry in `tlsPolicies`.
    public var tlsPolicy: TLSPolicy
    /// Per destination domain, overriding `tlsPolicy`.
    public var tlsPolicies: [String: TLSPolicy]
    /// The host that takes all outbound mail, when set; nil: each domain's MX.
    public var smarthost: Smarthost?
    /// The most outbound connections at once.
    public var connections: Int
    /// The most connections at once to one destination, so as not to overrun a receiver.
    public var connectionsPerDestination: Int
    /// How often the queue folder is read again for messages that the runner was not told about.
    public var rescanInterval: TimeInterval

    /// Makes relay settings; everything but the EHLO name has a default in `RelayDefaults`.
    public init(
        hostname: String,
        mxPort: Int = RelayDefaults.mxPort,
        schedule: RetrySchedule = RetrySchedule(),
        tlsPolicy: TLSPolicy = .opportunistic,
        tlsPolicies: [String: TLSPolicy] = [:],
        smarthost: Smarthost? = nil,
        connections: Int = RelayDefaults.connections,
        connectionsPerDestination: Int = RelayDefaults.connectionsPerDestination,
        rescanInterval: TimeInterval = RelayDefaults.rescanInterval
    ) {
        self.hostname = hostname
        self.mxPort = mxPort
        self.schedule = schedule
        self.tlsPolicy = tlsPolicy
        self.tlsPolicies = tlsPolicies
        self.smarthost = smarthost
        self.connections = connections
        self.connectionsPerDestination = connectionsPerDestination
        self.rescanInterval = rescanInterval
    }

    /// The policy for `domain`.
    public func tlsPolicy(for domain: String) -> TLSPolicy { tlsPolicies[domain] ?? tlsPolicy }
}

/// The servers a mail client is told about (autoconfig, autodiscover, RFC 6186 SRV records): correo's
/// own listeners as configured, implicit TLS first (RFC 8314 §3 prefers it to STARTTLS).
public struct MailClientSettings: Sendable, Equatable {
    /// One listener a client may use.
    public struct Server: Sendable, Equatable {
        /// IMAP (incoming) or SMTP submission (outgoing).
        public enum Kind: String, Sendable { case imap, smtp }
        /// IMAP or SMTP.
        public var kind: Kind
        /// The port correo listens on.
        public var port: Int
        /// TLS from the first octet (993, 465) rather than STARTTLS (143, 587).
        public var implicitTLS: Bool
    }

    /// The host clients connect to: the server's hostname.
    public var hostname: String
    /// Incoming then outgoing, implicit TLS first; ports set to 0 are left out.
    public var servers: [Server]

    /// The settings for `hostname` and `ports`.
    ///
    /// The MX port (25) is never offered: clients submit.
    public init(hostname: String, ports: CorreoConfiguration.Ports) {
        self.hostname = hostname
        servers = [
            Server(kind: .imap, port: ports.imaps, implicitTLS: true),
            Server(kind: .imap, port: ports.imap, implicitTLS: false),
            Server(kind: .smtp, port: ports.smtps, implicitTLS: true),
            Server(kind: .smtp, port: ports.submission, implicitTLS: false),
        ].filter { $0.port != 0 }
    }

    /// The servers of one kind, preferred first.
    public func servers(_ kind: Server.Kind) -> [Server] { servers.filter { $0.kind == kind } }
}

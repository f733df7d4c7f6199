import Foundation
import Logging
import MailAuth

/// Everything a correo server process needs to start, after flags, environment and defaults are merged.
///
/// DESIGN.md "Defaults that make one command enough" is the source of every default here.
public struct CorreoConfiguration: Sendable, Equatable {
    /// The storage folder when none is given (`./mail`, as the original's): the one place it is written.
    public static let defaultStoragePath = "mail"

    /// The storage folder: passwords.txt, tls/, and one Maildir per user.
    public var storage: URL
    /// The domains mail is accepted for, lowercased.
    public var domains: [String]
    /// The name the servers give themselves (greetings, Received: headers).
    public var hostname: String
    /// A PEM certificate chain; nil means the generated STORAGE/tls/cert.pem.
    public var certificatePath: String?
    /// A PEM private key; nil means the key is in `certificatePath`, or the generated one.
    public var privateKeyPath: String?
    /// The address every listener binds to.
    public var bindAddress: String
    /// Listener ports; 0 turns a listener off.
    public var ports: Ports
    /// AUTH and LOGIN allowed without TLS (loopback testing only).
    public var allowPlaintextAuth: Bool
    /// Mail for any local part of a local domain is accepted and its Maildir made at the first delivery
    /// (the original `smtpd`'s rule); when false, only users in passwords.txt or with a Maildir get mail.
    public var acceptsUnknownRecipients = false
    /// How much to log.
    public var logLevel: Logger.Level
    /// Protocol versions, cipher suites and groups every TLS listener offers.
    public var tls: TLSSettings
    /// The account to switch to once the listeners are bound (`--user`, `--group`); nil keeps the
    /// account the process started as.
    public var account: ServiceAccount?
    /// Connection caps, timeouts and the failed-login throttle.
    public var limits = ServerLimits()
    /// The operator's HTTP listener on 127.0.0.1 (/metrics, /healthz); 0, the default, leaves it off.
    public var httpPort = 0
    /// The public HTTPS listener and what it publishes: MTA-STS policy, autoconfig, autodiscover.
    public var publishing = PublishingConfiguration()
    /// How log lines are written: swift-log's text lines or one JSON object a line.
    public var logFormat = LogFormat.text
    /// The outbound queue and how mail reaches other domains.
    public var outbound = OutboundConfiguration()
    /// Addresses of the news peers allowed to feed articles with IHAVE (`--nntp-peer`).
    public var nntpPeers: [String] = []
    /// The PostgreSQL store (`postgres://…`) holding the users, their mailboxes and their mail, when not
    /// the storage folder (`--store`); the `correo` command opens it and hands it to `CorreoService`.
    public var store: String?
    /// SPF, DKIM and DMARC checks on unauthenticated mail delivered locally: Authentication-Results
    /// added, DMARC `reject` refused with 550 5.7.1, `quarantine` delivered into Junk.
    ///
    /// On for `serve`, off for `smtpd` (the original's workflow delivers what it gets, byte for byte).
    public var inboundAuthChecks = false
    /// Client networks whose mail is not checked (`--inbound-auth-exempt`): the host itself by default,
    /// where web applications and cron hand mail to port 25 without logging in; as OpenDMARC's
    /// IgnoreHosts, loopback clients are ours, and DNS look-ups about them say nothing.
    public var inboundAuthExempt = CorreoConfiguration.defaultInboundAuthExempt
    /// Which of the sender checks run when `inboundAuthChecks` is on: all three by default.
    ///
    /// `--[no-]inbound-spf`, `--[no-]inbound-dkim`, `--[no-]inbound-dmarc`. DMARC builds on the other two;
    /// with both off no check runs and mail is delivered unchecked.
    public var inboundChecks = MessageAuthenticator.Checks.all
    /// `correo serve --dev`: the catch-all test server (no relay, any login, the API on the HTTP port);
    /// nil for a real server.
    public var dev: DevSettings?
    /// `127.0.0.0/8` and `::1`.
    public static let defaultInboundAuthExempt = ["127.0.0.0/8", "::1"]

    /// The listener ports.
    public struct Ports: Sendable, Equatable {
        /// SMTP for mail from other servers (MX, RFC 5321).
        public var smtp: Int
        /// Message submission with STARTTLS (RFC 6409).
        public var submission: Int
        /// Message submission over implicit TLS (RFC 8314).
        public var smtps: Int
        /// IMAP with STARTTLS.
        public var imap: Int
        /// IMAP over implicit TLS (RFC 8314).
        public var imaps: Int
        /// NNTP with STARTTLS (RFC 4642); only `correo serve` opens it.
        public var nntp: Int
        /// NNTP over implicit TLS.
        public var nntps: Int

        /// The unprivileged defaults of DESIGN.md.
        public static let defaults = Ports(smtp: 2525, submission: 2587, smtps: 2465, imap: 1143, imaps: 1993)

        /// The ports to listen on; 0 turns a listener off.
        public init(smtp: Int, submission: Int, smtps: Int, imap: Int, imaps: Int, nntp: Int = 1119, nntps: Int = 1563)
        {
            self.nntp = nntp
            self.nntps = nntps
            self.smtp = smtp
            self.submission = submission
            self.smtps = smtps
            self.imap = imap
            self.imaps = imaps
        }
    }

    /// A configuration from settings already merged; each one left out keeps the default of DESIGN.md.
    public init(
        storage: URL = URL(fileURLWithPath: CorreoConfiguration.defaultStoragePath, isDirectory: true),
        domains: [String] = ["localhost"],
        hostname: String? = nil,
        certificatePath: String? = nil,
        privateKeyPath: String? = nil,
        bindAddress: String = "0.0.0.0",
        ports: Ports = .defaults,
        allowPlaintextAuth: Bool = false,
        logLevel: Logger.Level = .info,
        tls: TLSSettings = .defaults,
        account: ServiceAccount? = nil
    ) {
        self.storage = storage
        self.domains = domains.map { $0.lowercased() }
        self.hostname = hostname ?? domains.first ?? "localhost"
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.bindAddress = bindAddress
        self.ports = ports
        self.allowPlaintextAuth = allowPlaintextAuth
        self.logLevel = logLevel
        self.tls = tls
        self.account = account
    }

    /// Checks what can be checked before binding anything, with messages that name the offending value.
    public func validate() throws {
        for (name, port) in [
            ("smtp", ports.smtp), ("submission", ports.submission), ("smtps", ports.smtps),
            ("imap", ports.imap), ("imaps", ports.imaps), ("nntp", ports.nntp), ("nntps", ports.nntps),
            ("http", httpPort),
        ] where !(0...65535).contains(port) {
            throw ConfigurationError.invalidPort(name: name, value: port)
        }
        if domains.isEmpty { throw ConfigurationError.noDomain }
        for domain in domains where !Self.isDomainName(domain) {
            throw ConfigurationError.invalidDomain(domain)
        }
        if privateKeyPath != nil && certificatePath == nil { throw ConfigurationError.keyWithoutCertificate }
        if let name = limits.invalidSetting { throw ConfigurationError.invalidLimit(name) }
        do {
            try tls.validate()
        } catch let error as TLSSettingsError {
            throw ConfigurationError.invalidTLS(error)
        }
        if account?.user.isEmpty == true { throw ConfigurationError.emptyUser }
        try outbound.validate()
        try publishing.validate()
        for network in inboundAuthExempt where InboundAuthentication.network(network) == nil {
            throw ConfigurationError.invalidOutbound(
                "--inbound-auth-exempt \(network): give an address or a network, such as 192.0.2.0/24 or 2001:db8::/32"
            )
        }
    }

    /// The ports below 1024 that are switched on: binding them needs root (or CAP_NET_BIND_SERVICE).
    public var privilegedPorts: [Int] {
        [
            ports.smtp, ports.submission, ports.smtps, ports.imap, ports.imaps, ports.nntp, ports.nntps,
            publishing.httpsPort, publishing.autoconfigHTTPPort,
        ].filter { (1..<1024).contains($0) }
    }

    /// A loose RFC 1035 check: labels of letters, digits and hyphens, or an address literal.
    static func isDomainName(_ name: String) -> Bool {
        if name.hasPrefix("[") && name.hasSuffix("]") { return true }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && name.utf8.count <= 253
            && labels.allSatisfy { label in
                !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.unicodeScalars.allSatisfy {
                        $0.isASCII ? ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") : true
                    }
            }
    }
}

/// Configuration mistakes, each worded so that the operator knows what to change.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case invalidPort(name: String, value: Int)
    case noDomain
    case invalidDomain(String)
    case keyWithoutCertificate
    case invalidLogLevel(String)
    case invalidLimit(String)
    case invalidTLS(TLSSettingsError)
    case emptyUser
    case invalidOutbound(String)

    /// The flag at fault and what it accepts, as one line for the operator.
    public var description: String {
        switch self {
        case .invalidPort(let name, let value): "--\(name)-port \(value) is not a port (0 turns it off, else 1–65535)"
        case .noDomain: "give at least one --domain"
        case .invalidDomain(let domain): "\(domain) is not a domain name"
        case .keyWithoutCertificate: "--key needs --cert"
        case .invalidLimit(let name): "--\(name) must be at least 1 (a delay at least 0)"
        case .invalidLogLevel(let level):
            "unknown log level \(level): use trace, debug, info, notice, warning, error or critical"
        case .invalidTLS(let error): error.description
        case .emptyUser: "--user needs an account name"
        case .invalidOutbound(let reason): reason
        }
    }
}

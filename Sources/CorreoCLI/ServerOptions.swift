import ArgumentParser
import CorreoServer
import Foundation
import Logging
import MailAuth
import MailCore

/// Options every server command shares.
///
/// Each long option can also come from a `CORREO_…` environment variable, so a container or a CI job can configure
/// correo without a command line.
struct ServerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A TOML file with any of these options as `name = value` (flags and CORREO_… win over it). [CORREO_CONFIG]",
            valueName: "file"
        )
    )
    var config: String?

    @OptionGroup var storage: StorageOption

    @Option(
        name: [.customShort("d"), .long],
        help: "A local domain to accept mail for; repeatable. [CORREO_DOMAIN, comma-separated; default localhost]"
    )
    var domain: [String] = []

    @Option(
        help:
            "The name this server gives itself in greetings and Received: headers. [CORREO_HOSTNAME, default the first domain]"
    )
    var hostname: String?

    @Option(help: "PEM certificate chain (or one PEM with the key too, like the original's server.pem). [CORREO_CERT]")
    var cert: String?

    @Option(help: "PEM private key; without --cert and --key a self-signed pair is made in STORAGE/tls/. [CORREO_KEY]")
    var key: String?

    @Option(help: "Address to listen on. [CORREO_BIND, default 0.0.0.0]")
    var bind: String?

    @Flag(help: "Allow AUTH/LOGIN without TLS (loopback testing only). [CORREO_ALLOW_PLAINTEXT_AUTH=1]")
    var allowPlaintextAuth = false

    @Flag(
        inversion: .prefixedNo,
        help: """
            Accept mail for any local part of a --domain and make its Maildir at the first delivery, as the \
            original smtpd did; otherwise unknown users get 550 5.1.1. \
            [CORREO_ACCEPT_UNKNOWN_RECIPIENTS=1; default off for serve, on for smtpd]
            """
    )
    var acceptUnknownRecipients: Bool?

    @Flag(
        inversion: .prefixedNo,
        help: """
            Check SPF, DKIM and DMARC of mail from outside: add Authentication-Results, refuse DMARC \
            p=reject with 550 5.7.1, put p=quarantine into Junk. \
            [CORREO_INBOUND_AUTH_CHECKS=1; default on for serve, off for smtpd]
            """
    )
    var inboundAuthChecks: Bool?

    @Flag(
        inversion: .prefixedNo,
        help: "With the sender checks on: check SPF. [CORREO_INBOUND_SPF=0 turns it off; default on]"
    )
    var inboundSpf: Bool?

    @Flag(
        inversion: .prefixedNo,
        help: "With the sender checks on: verify DKIM signatures. [CORREO_INBOUND_DKIM=0 turns it off; default on]"
    )
    var inboundDkim: Bool?

    @Flag(
        inversion: .prefixedNo,
        help: """
            With the sender checks on: evaluate DMARC on the SPF and DKIM results; with both of those off \
            no check runs. [CORREO_INBOUND_DMARC=0 turns it off; default on]
            """
    )
    var inboundDmarc: Bool?

    @Option(
        help: ArgumentHelp(
            """
            A client address or network whose mail is not checked (repeatable; `none` checks every \
            client). [CORREO_INBOUND_AUTH_EXEMPT, comma-separated; default 127.0.0.0/8 and ::1]
            """,
            valueName: "CIDR"
        )
    )
    var inboundAuthExempt: [String] = []

    @Option(help: "trace, debug, info, notice, warning, error or critical. [CORREO_LOG_LEVEL, default info]")
    var logLevel: String?

    @Option(help: "text (key=value lines) or json (one object a line). [CORREO_LOG_FORMAT, default text]")
    var logFormat: String?

    @Option(
        help: "Lowest TLS version offered: 1.2 or 1.3 (1.0 and 1.1 never are). [CORREO_TLS_MIN_VERSION, default 1.2]"
    )
    var tlsMinVersion: String?

    @Option(
        help: """
            TLS 1.2 cipher suites, OpenSSL names joined by ':'. \
            [CORREO_TLS_CIPHERS, default ECDHE with AES-GCM or ChaCha20-Poly1305]
            """
    )
    var tlsCiphers: String?

    @Option(
        help:
            "Key exchange groups in order, e.g. X25519,P-256. [CORREO_TLS_CURVES, default X25519MLKEM768,X25519,P-256,P-384]"
    )
    var tlsCurves: String?

    @Option(help: "Started as root: bind the ports, hand the storage to this account and switch to it. [CORREO_USER]")
    var user: String?

    @Option(help: "The group to switch to with --user. [CORREO_GROUP, default the user's primary group]")
    var group: String?

    @Option(
        help:
            "Serve /metrics (Prometheus) and /healthz over HTTP on 127.0.0.1 at this port; 0 is off. [CORREO_HTTP_PORT, default 0]"
    )
    var httpPort: Int?

    @OptionGroup var limits: LimitOptions
}

/// Defences against hostile clients; the defaults suit a server on the internet, tests shorten them.
struct LimitOptions: ParsableArguments {
    @Option(help: "Connections at once per protocol; more get 421 4.7.0 / * BYE. [CORREO_MAX_CONNECTIONS, 1000]")
    var maxConnections: Int?

    @Option(help: "Connections at once from one address. [CORREO_MAX_CONNECTIONS_PER_ADDRESS, default 20]")
    var maxConnectionsPerAddress: Int?

    @Option(help: "SMTP: seconds to wait for a whole command or line (RFC 5321: 300). [CORREO_COMMAND_TIMEOUT]")
    var commandTimeout: Int?

    @Option(help: "IMAP: seconds a connection may stay without logging in. [CORREO_LOGIN_TIMEOUT, default 60]")
    var loginTimeout: Int?

    @Option(help: "Milliseconds added per failed login from one address. [CORREO_AUTH_FAILURE_DELAY_MS, 1000]")
    var authFailureDelayMs: Int?

    @Option(help: "Failed logins from one address before it is refused. [CORREO_AUTH_FAILURES_BEFORE_BLOCK, 10]")
    var authFailuresBeforeBlock: Int?

    @Option(help: "SMTP: the largest message in octets, advertised with SIZE. [CORREO_MAX_MESSAGE_SIZE, 52428800]")
    var maxMessageSize: Int?

    @Option(help: "SMTP: recipients per message; more get 452 4.5.3. [CORREO_MAX_RECIPIENTS, default 1000]")
    var maxRecipients: Int?

    /// Flags, then `CORREO_…` variables, then the defaults.
    func resolved() throws -> ServerLimits {
        let defaults = ServerLimits()
        return ServerLimits(
            maximumConnections: try resolveNumber(
                maxConnections,
                "MAX_CONNECTIONS",
                default: defaults.maximumConnections
            ),
            maximumConnectionsPerAddress: try resolveNumber(
                maxConnectionsPerAddress,
                "MAX_CONNECTIONS_PER_ADDRESS",
                default: defaults.maximumConnectionsPerAddress
            ),
            commandTimeoutSeconds: try resolveNumber(
                commandTimeout,
                "COMMAND_TIMEOUT",
                default: defaults.commandTimeoutSeconds
            ),
            loginTimeoutSeconds: try resolveNumber(
                loginTimeout,
                "LOGIN_TIMEOUT",
                default: defaults.loginTimeoutSeconds
            ),
            authFailureDelayMilliseconds: try resolveNumber(
                authFailureDelayMs,
                "AUTH_FAILURE_DELAY_MS",
                default: defaults.authFailureDelayMilliseconds
            ),
            authFailuresBeforeBlock: try resolveNumber(
                authFailuresBeforeBlock,
                "AUTH_FAILURES_BEFORE_BLOCK",
                default: defaults.authFailuresBeforeBlock
            ),
            maximumMessageSize: try resolveNumber(
                maxMessageSize,
                "MAX_MESSAGE_SIZE",
                default: defaults.maximumMessageSize
            ),
            maximumRecipients: try resolveNumber(maxRecipients, "MAX_RECIPIENTS", default: defaults.maximumRecipients)
        )
    }
}

/// A number from a flag, else from `CORREO_NAME`, else the default; a malformed variable is an error.
func resolveNumber(_ flag: Int?, _ variable: String, default value: Int) throws -> Int {
    if let flag { return flag }
    guard let text = environment(variable) else { return value }
    guard let number = Int(text) else {
        throw ValidationError("\(SettingLayers.current.origin(variable))=\(text) is not a number")
    }
    return number
}

/// The listener ports; a port of 0 turns that listener off.
struct PortOptions: ParsableArguments {
    @Option(help: "MX-style SMTP with STARTTLS. [CORREO_SMTP_PORT, default 2525]")
    var smtpPort: Int?

    @Option(help: "Submission: STARTTLS, then AUTH. [CORREO_SUBMISSION_PORT, default 2587]")
    var submissionPort: Int?

    @Option(help: "Submission over implicit TLS (RFC 8314). [CORREO_SMTPS_PORT, default 2465]")
    var smtpsPort: Int?

    @Option(help: "IMAP with STARTTLS. [CORREO_IMAP_PORT, default 1143]")
    var imapPort: Int?

    @Option(help: "IMAP over implicit TLS. [CORREO_IMAPS_PORT, default 1993]")
    var imapsPort: Int?

    @Option(help: "NNTP (newsgroups) with STARTTLS. [CORREO_NNTP_PORT, default 1119]")
    var nntpPort: Int?

    @Option(help: "NNTP over implicit TLS. [CORREO_NNTPS_PORT, default 1563]")
    var nntpsPort: Int?
}

extension PortOptions {
    /// The ports from flags, `CORREO_…_PORT` variables and the defaults.
    func resolved(defaults: CorreoConfiguration.Ports = .defaults) throws -> CorreoConfiguration.Ports {
        CorreoConfiguration.Ports(
            smtp: try resolvePort(smtpPort, "SMTP_PORT", default: defaults.smtp),
            submission: try resolvePort(submissionPort, "SUBMISSION_PORT", default: defaults.submission),
            smtps: try resolvePort(smtpsPort, "SMTPS_PORT", default: defaults.smtps),
            imap: try resolvePort(imapPort, "IMAP_PORT", default: defaults.imap),
            imaps: try resolvePort(imapsPort, "IMAPS_PORT", default: defaults.imaps),
            nntp: try resolvePort(nntpPort, "NNTP_PORT", default: defaults.nntp),
            nntps: try resolvePort(nntpsPort, "NNTPS_PORT", default: defaults.nntps)
        )
    }
}

extension ServerOptions {
    /// Merges flags, `CORREO_…` variables and the defaults into one configuration; flags win over the
    /// environment, the environment over the defaults.
    ///
    /// `acceptsUnknownRecipients` is the command's own default for `--[no-]accept-unknown-recipients`,
    /// `inboundAuthChecks` for `--[no-]inbound-auth-checks`.
    func configuration(
        ports: CorreoConfiguration.Ports,
        acceptsUnknownRecipients: Bool = false,
        inboundAuthChecks: Bool = false,
        defaultBind: String = "0.0.0.0",
        defaultHTTPPort: Int = 0
    ) throws -> CorreoConfiguration {
        let domains = try
            (domain.isEmpty
            ? (environment("DOMAIN")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [
                "localhost"
            ])
            : domain).map { try aLabel($0, flag: "--domain") }
        let levelName = logLevel ?? environment("LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelName.lowercased()) else {
            throw ValidationError(ConfigurationError.invalidLogLevel(levelName).description)
        }
        let tls: TLSSettings
        do {
            tls = TLSSettings(
                minimumVersion: try TLSSettings.version(
                    parsing: tlsMinVersion ?? environment("TLS_MIN_VERSION") ?? "1.2"
                ),
                tls12CipherSuites: tlsCiphers ?? environment("TLS_CIPHERS") ?? TLSSettings.defaultTLS12CipherSuites,
                curves: try (tlsCurves ?? environment("TLS_CURVES")).map { try TLSSettings.curves(parsing: $0) }
            )
        } catch let error as TLSSettingsError {
            throw ValidationError(error.description)
        }
        let userName = user ?? environment("USER")
        let groupName = group ?? environment("GROUP")
        if groupName != nil && userName == nil { throw ValidationError("--group needs --user") }
        var configuration = CorreoConfiguration(
            storage: storage.url,
            domains: domains,
            hostname: try (hostname ?? environment("HOSTNAME")).map { try aLabel($0, flag: "--hostname") },
            certificatePath: cert ?? environment("CERT"),
            privateKeyPath: key ?? environment("KEY"),
            bindAddress: bind ?? environment("BIND") ?? defaultBind,
            ports: ports,
            allowPlaintextAuth: try allowPlaintextAuth || resolveSwitch("ALLOW_PLAINTEXT_AUTH") == true,
            logLevel: level,
            tls: tls,
            account: userName.map { ServiceAccount(user: $0, group: groupName) }
        )
        configuration.limits = try limits.resolved()
        let formatName = logFormat ?? environment("LOG_FORMAT") ?? "text"
        guard let format = LogFormat(rawValue: formatName.lowercased()) else {
            throw ValidationError("--log-format \(formatName): use text or json")
        }
        configuration.logFormat = format
        configuration.httpPort = try resolvePort(httpPort, "HTTP_PORT", default: defaultHTTPPort)
        configuration.acceptsUnknownRecipients =
            try acceptUnknownRecipients ?? resolveSwitch("ACCEPT_UNKNOWN_RECIPIENTS") ?? acceptsUnknownRecipients
        configuration.inboundAuthChecks =
            try self.inboundAuthChecks ?? resolveSwitch("INBOUND_AUTH_CHECKS") ?? inboundAuthChecks
        configuration.inboundChecks = MessageAuthenticator.Checks(
            spf: try inboundSpf ?? resolveSwitch("INBOUND_SPF") ?? true,
            dkim: try inboundDkim ?? resolveSwitch("INBOUND_DKIM") ?? true,
            dmarc: try inboundDmarc ?? resolveSwitch("INBOUND_DMARC") ?? true
        )
        let exempt =
            inboundAuthExempt.isEmpty
            ? environment("INBOUND_AUTH_EXEMPT")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            : inboundAuthExempt
        if let exempt { configuration.inboundAuthExempt = exempt == ["none"] ? [] : exempt }
        do {
            try configuration.validate()
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        return configuration
    }
}

/// A domain as typed, in the A-label form used on the wire, in certificates and in the store
/// (`bücher.example` → `xn--bcher-kva.example`); ASCII names are left to the configuration's checks.
func aLabel(_ name: String, flag: String) throws -> String {
    guard IDNA.isInternationalized(name) else { return name }
    do {
        return try IDNA.ascii(name)
    } catch {
        throw ValidationError("\(flag) \(error)")
    }
}

/// A yes/no `CORREO_NAME` variable (1/true/yes, 0/false/no); nil when it is not set, an error when it is
/// something else.
func resolveSwitch(_ variable: String) throws -> Bool? {
    guard let text = environment(variable)?.lowercased() else { return nil }
    if ["1", "true", "yes", "on"].contains(text) { return true }
    if ["0", "false", "no", "off"].contains(text) { return false }
    throw ValidationError("\(SettingLayers.current.origin(variable))=\(text) is neither 1 (yes) nor 0 (no)")
}

/// A port from a flag, else from `CORREO_NAME`, else the default; a malformed variable is an error.
func resolvePort(_ flag: Int?, _ variable: String, default value: Int) throws -> Int {
    if let flag { return flag }
    guard let text = environment(variable) else { return value }
    guard let number = Int(text) else {
        throw ValidationError("\(SettingLayers.current.origin(variable))=\(text) is not a port number")
    }
    return number
}

/// Runs the configuration's checks again after a command changed it, as a usage error.
func validated(_ configuration: CorreoConfiguration) throws {
    do {
        try configuration.validate()
    } catch let error as ConfigurationError {
        throw ValidationError(error.description)
    }
}

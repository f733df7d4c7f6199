import CorreoServer
import Foundation
import PostgresStore

/// One key of the configuration file.
///
/// Its name is the long flag without `--` and its `CORREO_…` variable is the name upper-cased with `_` for `-`, so the
/// file, the environment and the command line say the same thing in three places (`log-level = "debug"`,
/// `CORREO_LOG_LEVEL=debug`, `--log-level debug`).
struct ConfigKey: Sendable {
    /// What a key's value is in TOML, and how it reaches the option that reads it.
    enum Kind: Sendable {
        /// A TOML string, as the flag's argument.
        case string
        /// A TOML integer.
        case integer
        /// A TOML boolean: `true` is the flag, `false` its `--no-` form (or its absence).
        case `switch`
        /// A TOML array of strings (or one string), as the repeated flag.
        case list
    }

    /// The key, which is the long flag without `--`.
    let name: String
    let kind: Kind
    /// A value that passes validation and differs from the default: the round-trip tests give it once as a
    /// flag and once in a file, and the README's example is made of them.
    let example: String
    /// The effective value in a resolved configuration, as `correo config show` prints it.
    let value: @Sendable (CorreoConfiguration) -> String

    init(_ name: String, _ kind: Kind, example: String, value: @escaping @Sendable (CorreoConfiguration) -> String) {
        self.name = name
        self.kind = kind
        self.example = example
        self.value = value
    }

    /// `--name`.
    var flag: String { "--" + name }
    /// `NAME` of `CORREO_NAME`: what the options look up through `environment(_:)`.
    var variable: String { name.uppercased().replacingOccurrences(of: "-", with: "_") }

    /// The key whose variable is `variable`.
    static func named(variable: String) -> ConfigKey? { all.first { $0.variable == variable } }
    /// The key called `name`.
    static func named(_ name: String) -> ConfigKey? { all.first { $0.name == name } }
}

extension ConfigKey {
    /// Every key the file knows: a new flag of ServerOptions, PortOptions, LimitOptions or OutboundOptions that
    /// falls back to `environment("NAME")` gets its key with one line here.
    static let all: [ConfigKey] = [
        ConfigKey("storage", .string, example: "/var/lib/correo") { $0.storage.path },
        ConfigKey("domain", .list, example: "example.org,example.net") { $0.domains.joined(separator: ",") },
        ConfigKey("hostname", .string, example: "mx.example.org") { $0.hostname },
        ConfigKey("cert", .string, example: "/etc/correo/cert.pem") { $0.certificatePath ?? "" },
        ConfigKey("key", .string, example: "/etc/correo/key.pem") { $0.privateKeyPath ?? "" },
        ConfigKey("bind", .string, example: "127.0.0.1") { $0.bindAddress },
        ConfigKey("allow-plaintext-auth", .switch, example: "true") { "\($0.allowPlaintextAuth)" },
        ConfigKey("accept-unknown-recipients", .switch, example: "true") { "\($0.acceptsUnknownRecipients)" },
        ConfigKey("inbound-auth-checks", .switch, example: "false") { "\($0.inboundAuthChecks)" },
        ConfigKey("inbound-spf", .switch, example: "false") { "\($0.inboundChecks.spf)" },
        ConfigKey("inbound-dkim", .switch, example: "false") { "\($0.inboundChecks.dkim)" },
        ConfigKey("inbound-dmarc", .switch, example: "false") { "\($0.inboundChecks.dmarc)" },
        ConfigKey("inbound-auth-exempt", .list, example: "192.0.2.0/24,::1") {
            $0.inboundAuthExempt.joined(separator: ",")
        },
        ConfigKey("log-level", .string, example: "debug") { $0.logLevel.rawValue },
        ConfigKey("log-format", .string, example: "json") { $0.logFormat.rawValue },
        ConfigKey("tls-min-version", .string, example: "1.3") { $0.tls.minimumVersion.rawValue },
        ConfigKey("tls-ciphers", .string, example: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256") {
            $0.tls.tls12CipherSuites
        },
        ConfigKey("tls-curves", .string, example: "X25519,P-256") {
            $0.tls.curves?.map(\.rawValue).joined(separator: ",") ?? ""
        },
        ConfigKey("user", .string, example: "correo") { $0.account?.user ?? "" },
        ConfigKey("group", .string, example: "mail") { $0.account?.group ?? "" },
        ConfigKey("http-port", .integer, example: "9100") { "\($0.httpPort)" },
        ConfigKey("smtp-port", .integer, example: "25") { "\($0.ports.smtp)" },
        ConfigKey("submission-port", .integer, example: "587") { "\($0.ports.submission)" },
        ConfigKey("smtps-port", .integer, example: "465") { "\($0.ports.smtps)" },
        ConfigKey("imap-port", .integer, example: "143") { "\($0.ports.imap)" },
        ConfigKey("imaps-port", .integer, example: "993") { "\($0.ports.imaps)" },
        ConfigKey("nntp-port", .integer, example: "119") { "\($0.ports.nntp)" },
        ConfigKey("nntps-port", .integer, example: "563") { "\($0.ports.nntps)" },
        ConfigKey("nntp-peer", .list, example: "192.0.2.7") { $0.nntpPeers.joined(separator: ",") },
        // Shown without its password, as every log line shows it.
        ConfigKey("store", .string, example: "postgres://correo@db.example.org:5432/correo") { configuration in
            configuration.store.map { (try? PostgresStoreURL($0))?.description ?? "(not a postgres:// URL)" } ?? ""
        },
        ConfigKey("max-connections", .integer, example: "500") { "\($0.limits.maximumConnections)" },
        ConfigKey("max-connections-per-address", .integer, example: "10") {
            "\($0.limits.maximumConnectionsPerAddress)"
        },
        ConfigKey("command-timeout", .integer, example: "120") { "\($0.limits.commandTimeoutSeconds)" },
        ConfigKey("login-timeout", .integer, example: "30") { "\($0.limits.loginTimeoutSeconds)" },
        ConfigKey("auth-failure-delay-ms", .integer, example: "500") { "\($0.limits.authFailureDelayMilliseconds)" },
        ConfigKey("auth-failures-before-block", .integer, example: "5") { "\($0.limits.authFailuresBeforeBlock)" },
        ConfigKey("max-message-size", .integer, example: "10485760") { "\($0.limits.maximumMessageSize)" },
        ConfigKey("max-recipients", .integer, example: "100") { "\($0.limits.maximumRecipients)" },
        ConfigKey("relay-host", .string, example: "smtp.example.net:587") { $0.outbound.relayHost ?? "" },
        ConfigKey("relay-user", .string, example: "correo") { $0.outbound.relayUser ?? "" },
        ConfigKey("relay-password-file", .string, example: "/etc/correo/relay-password") {
            $0.outbound.relayPasswordFile ?? ""
        },
        ConfigKey("relay-cafile", .string, example: "/etc/correo/relay-ca.pem") { $0.outbound.relayCAFile ?? "" },
        ConfigKey("mx-port", .integer, example: "2525") { "\($0.outbound.mxPort)" },
        ConfigKey("dns-server", .list, example: "192.0.2.53,192.0.2.54:5353") {
            $0.outbound.dnsServers.joined(separator: ",")
        },
        ConfigKey("queue-retry-min", .integer, example: "60") { "\($0.outbound.firstRetrySeconds)" },
        ConfigKey("queue-retry-max", .integer, example: "1800") { "\($0.outbound.maximumRetrySeconds)" },
        ConfigKey("queue-lifetime", .integer, example: "86400") { "\($0.outbound.queueLifetimeSeconds)" },
        ConfigKey("queue-delay-warning", .integer, example: "0") { "\($0.outbound.delayWarningSeconds)" },
        ConfigKey("outbound-tls", .string, example: "verify") { $0.outbound.tlsPolicy },
        ConfigKey("outbound-tls-for", .list, example: "example.com=verify,example.net=none") {
            $0.outbound.tlsPolicies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        },
        ConfigKey("local-delivery", .string, example: "queue") { $0.outbound.localDelivery },
        ConfigKey("outbound-mta-sts", .string, example: "off") { $0.outbound.mtaSTS ? "on" : "off" },
        ConfigKey("outbound-mta-sts-ca-file", .string, example: "/etc/ssl/certs/ca-certificates.crt") {
            $0.outbound.mtaSTSCAFile ?? ""
        },
        ConfigKey("tls-rpt", .string, example: "off") { $0.outbound.tlsReporting ? "on" : "off" },
        ConfigKey("tls-rpt-from", .string, example: "tls-reports@example.org") { $0.outbound.tlsReportSender ?? "" },
        ConfigKey("tls-rpt-org", .string, example: "Example Org") { $0.outbound.tlsReportOrganization ?? "" },
        ConfigKey("dev", .switch, example: "true") { "\($0.dev != nil)" },
        ConfigKey("dev-password", .string, example: "letmein") { $0.dev?.password ?? "" },
        ConfigKey("dev-fault", .string, example: "RCPT to=x@* times=2 452 4.2.2 Busy; DATA close-after=1000") {
            $0.dev?.faults.map(\.description).joined(separator: "; ") ?? ""
        },
        ConfigKey("dev-release-allow", .list, example: "*@example.com,qa@example.org") {
            $0.dev?.releaseAllow.joined(separator: ",") ?? ""
        },
        ConfigKey("https-port", .integer, example: "443") { "\($0.publishing.httpsPort)" },
        ConfigKey("autoconfig-http-port", .integer, example: "80") { "\($0.publishing.autoconfigHTTPPort)" },
        ConfigKey("mta-sts-mode", .string, example: "enforce") { $0.publishing.mtaSTS.mode.rawValue },
        ConfigKey("mta-sts-max-age", .integer, example: "86400") { "\($0.publishing.mtaSTS.maxAge)" },
        ConfigKey("mta-sts-mx", .list, example: "mx1.example.org,*.example.org") {
            $0.publishing.mtaSTS.mx.joined(separator: ",")
        },
    ]
}

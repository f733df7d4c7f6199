import Foundation

/// How mail leaves for other domains: the queue's schedule, MX delivery, DNS, a smarthost.
public struct OutboundConfiguration: Sendable, Equatable {
    /// The port MX hosts are reached on (`--mx-port`; 25 on the internet, another in a lab).
    public var mxPort = 25
    /// Nameservers as `IP` or `IP:PORT` (`--dns-server`); empty means those of /etc/resolv.conf.
    public var dnsServers: [String] = []
    /// `--relay-host HOST[:PORT]`: every message goes there instead of to the MX hosts.
    public var relayHost: String?
    /// `--relay-user` and `--relay-password-file`: AUTH at the relay host.
    public var relayUser: String?
    /// The file whose first line is the relay password, so that it is never on a command line.
    public var relayPasswordFile: String?
    /// `--relay-cafile`: trust only the certificates in this PEM file at the relay host (a private CA or
    /// a self-signed relay); the system's authorities otherwise.
    public var relayCAFile: String?
    /// Back-off and give-up times in seconds (`--queue-retry-min`, `--queue-retry-max`,
    /// `--queue-lifetime`, `--queue-delay-warning`; a delay warning of 0 sends none).
    public var firstRetrySeconds = 300
    /// The longest wait between two attempts: the back-off doubles from `firstRetrySeconds` up to it.
    public var maximumRetrySeconds = 3600
    /// How long a message is retried before it bounces.
    public var queueLifetimeSeconds = 5 * 86400
    /// How long a message waits before its sender is told it is delayed.
    public var delayWarningSeconds = 4 * 3600
    /// `--outbound-tls none|opportunistic|required|verify`, and per destination domain
    /// (`--outbound-tls-for DOMAIN=POLICY`).
    public var tlsPolicy = "opportunistic"
    /// Domain → policy, overriding `tlsPolicy` for mail to that domain.
    public var tlsPolicies: [String: String] = [:]
    /// `--local-delivery direct|queue`: mail for local users only is made durable in the Maildirs before
    /// the `250` (direct, the default), or in the outbound queue and delivered moments later (queue, as
    /// Postfix does).
    ///
    /// BENCHMARKS.md has the measurement behind the default.
    public var localDelivery = "direct"
    /// `--outbound-mta-sts on|off`: honour recipient domains' MTA-STS policies (RFC 8461).
    public var mtaSTS = true
    /// `--outbound-mta-sts-ca-file`: authorities trusted for the HTTPS policy fetch besides the system's (PEM).
    public var mtaSTSCAFile: String?
    /// `--tls-rpt on|off`: count outbound TLS sessions and send the daily TLS-RPT reports (RFC 8460).
    public var tlsReporting = true
    /// `--tls-rpt-from`: the reports' sender; nil: postmaster@HOSTNAME.
    public var tlsReportSender: String?
    /// `--tls-rpt-org`: the reports' `organization-name`; nil: the host name.
    public var tlsReportOrganization: String?

    /// The defaults: MX delivery on port 25 with opportunistic TLS, MTA-STS and TLS-RPT on, no relay host.
    public init() {}

    static let localDeliveryNames = ["direct", "queue"]

    static let tlsPolicyNames = ["none", "opportunistic", "required", "verify"]

    /// Checks what can be checked before starting, naming the flag at fault.
    func validate() throws {
        if !(1...65535).contains(mxPort) { throw ConfigurationError.invalidPort(name: "mx", value: mxPort) }
        for (name, value) in [
            ("queue-retry-min", firstRetrySeconds), ("queue-retry-max", maximumRetrySeconds),
            ("queue-lifetime", queueLifetimeSeconds),
        ] where value < 1 {
            throw ConfigurationError.invalidLimit(name)
        }
        if delayWarningSeconds < 0 { throw ConfigurationError.invalidLimit("queue-delay-warning") }
        for policy in [tlsPolicy] + Array(tlsPolicies.values) where !Self.tlsPolicyNames.contains(policy) {
            throw ConfigurationError.invalidOutbound(
                "\(policy) is not an outbound TLS policy: use none, opportunistic, required or verify"
            )
        }
        for server in dnsServers where Self.hostAndPort(server, defaultPort: 53) == nil {
            throw ConfigurationError.invalidOutbound(
                "--dns-server \(server): give an IP address, optionally with :PORT"
            )
        }
        if !Self.localDeliveryNames.contains(localDelivery) {
            throw ConfigurationError.invalidOutbound("--local-delivery \(localDelivery): use direct or queue")
        }
        if let relayHost, Self.hostAndPort(relayHost, defaultPort: 587) == nil {
            throw ConfigurationError.invalidOutbound("--relay-host \(relayHost): give HOST or HOST:PORT")
        }
        if let mtaSTSCAFile, !FileManager.default.isReadableFile(atPath: mtaSTSCAFile) {
            throw ConfigurationError.invalidOutbound("--outbound-mta-sts-ca-file \(mtaSTSCAFile) cannot be read")
        }
        if let tlsReportSender, !tlsReportSender.contains("@") {
            throw ConfigurationError.invalidOutbound("--tls-rpt-from \(tlsReportSender): give an address")
        }
        if relayUser != nil, relayPasswordFile == nil {
            throw ConfigurationError.invalidOutbound("--relay-user needs --relay-password-file")
        }
    }

    /// `host`, `host:port`, `[v6]:port` or a bare IPv6 address.
    static func hostAndPort(_ text: String, defaultPort: Int) -> (host: String, port: Int)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, defaultPort) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { return nil }
            return (host, port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count > 2 { return (text, defaultPort) }  // an IPv6 address without a port
        guard let host = parts.first, !host.isEmpty else { return nil }
        if parts.count == 1 { return (String(host), defaultPort) }
        guard let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }
}

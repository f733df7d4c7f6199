/// What correo publishes for its domains over HTTP(S): the MTA-STS policy (RFC 8461) and the
/// settings mail clients discover (Thunderbird autoconfig, Microsoft autodiscover).
public struct PublishingConfiguration: Sendable, Equatable {
    /// The public HTTPS listener (`--https-port`, on `--bind`); 0, the default, leaves it off.
    ///
    /// MTA-STS senders fetch the policy from port 443 only (RFC 8461 §3.3).
    public var httpsPort = 0
    /// A plain-HTTP listener that serves autoconfig only (`--autoconfig-http-port`), for clients that
    /// fall back to `http://autoconfig.DOMAIN/`; 0, the default, leaves it off.
    ///
    /// Never the MTA-STS policy, which RFC 8461 §3.3 allows over HTTPS only.
    public var autoconfigHTTPPort = 0
    /// The MTA-STS policy served at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`.
    public var mtaSTS = PublishedMTASTSPolicy()

    /// Publishing nothing.
    public init() {}

    /// Checks the ports and the policy, with messages that name the flag.
    func validate() throws {
        for (name, port) in [("https", httpsPort), ("autoconfig-http", autoconfigHTTPPort)]
        where !(0...65535).contains(port) {
            throw ConfigurationError.invalidPort(name: name, value: port)
        }
        if !(0...PublishedMTASTSPolicy.longestMaxAge).contains(mtaSTS.maxAge) {
            throw ConfigurationError.invalidOutbound(
                "--mta-sts-max-age \(mtaSTS.maxAge): give seconds from 0 to \(PublishedMTASTSPolicy.longestMaxAge) (RFC 8461 §3.2)"
            )
        }
        for host in mtaSTS.mx
        where !CorreoConfiguration.isDomainName(host.hasPrefix("*.") ? String(host.dropFirst(2)) : host) {
            throw ConfigurationError.invalidOutbound(
                "--mta-sts-mx \(host) is not a host name (a leading *. is allowed)"
            )
        }
    }
}

import DNS
import Logging
import MailAuth
import SMTPServer

/// The checks on mail that arrives at the MX from outside (RFC 7208 SPF, RFC 6376 DKIM, RFC 7489 DMARC)
/// and what they decide: refuse it (`550 5.7.1`, DMARC `p=reject`), deliver it into Junk
/// (`p=quarantine`), or deliver it with correo's Authentication-Results field (RFC 8601) on top.
///
/// Mail from an authenticated submitter is never checked: its sender is one of correo's own users.
public struct InboundAuthentication: Sendable {
    /// Above this size a message is delivered unchecked (the check reads it whole into memory, twice
    /// over with the copy that carries the new field).
    ///
    /// 25 MiB covers nearly all mail people send.
    public static let defaultMaximumCheckedSize = 25 * 1024 * 1024

    /// Runs the SPF, DKIM and DMARC checks and writes the Authentication-Results field.
    public let authenticator: MessageAuthenticator
    /// The size above which a message is delivered unchecked (`defaultMaximumCheckedSize` unless set).
    public let maximumCheckedSize: Int
    /// Clients whose mail is delivered unchecked (loopback by default).
    public let exemptNetworks: [IPNetwork]
    let logger: Logger

    /// - Parameters:
    ///   - authenticator: the checks, with the server's host name as authserv-id.
    ///   - maximumCheckedSize: messages larger than this are delivered without checks (and logged so).
    ///   - exemptNetworks: clients whose mail is not checked.
    public init(
        authenticator: MessageAuthenticator,
        maximumCheckedSize: Int = InboundAuthentication.defaultMaximumCheckedSize,
        exemptNetworks: [IPNetwork] = [],
        logger: Logger
    ) {
        self.authenticator = authenticator
        self.maximumCheckedSize = maximumCheckedSize
        self.exemptNetworks = exemptNetworks
        self.logger = logger
    }

    /// The checks with `hostname` as authserv-id, asking `resolver` (the relay's, so `--dns-server`
    /// applies to both); `checks` says which of SPF, DKIM and DMARC run.
    public init(
        hostname: String,
        resolver: any MailAuthResolving,
        checks: MessageAuthenticator.Checks = .all,
        exemptNetworks: [IPNetwork] = [],
        logger: Logger
    ) {
        self.init(
            authenticator: MessageAuthenticator(authservID: hostname, resolver: resolver, checks: checks),
            exemptNetworks: exemptNetworks,
            logger: logger
        )
    }

    /// `192.0.2.0/24`, `2001:db8::/32` or one address, as a network; nil when it is neither.
    public static func network(_ text: String) -> IPNetwork? {
        IPNetwork(text, ipv6: text.contains(":"))
    }

    /// What to do with one message.
    public enum Decision: Sendable, Hashable {
        /// Deliver it as it was received: not checked (too big, no usable client address, or a client in
        /// an exempt network).
        case unchecked
        /// Deliver these octets (the message with correo's Authentication-Results on top) to the INBOX.
        case deliver([UInt8])
        /// Deliver these octets into each recipient's Junk folder.
        case junk([UInt8])
        /// Refuse the message with `550 5.7.1` and this text.
        case refuse(String)
    }

    /// Whether the message handed over as `origin` is checked at all.
    public func applies(to origin: SMTPMessageOrigin) -> Bool { origin.authenticatedUser == nil }

    /// Checks `message` (nil: it was larger than `maximumCheckedSize`; `size` says how large) and logs
    /// one line with the results — never any of the message's content beyond its From domain.
    public func decide(_ message: [UInt8]?, size: Int, origin: SMTPMessageOrigin) async -> Decision {
        guard let message else {
            logger.notice(
                "sender checks skipped: message of \(size) octets from \(origin.clientAddress) is over the \(maximumCheckedSize)-octet limit"
            )
            return .unchecked
        }
        guard let client = IPAddress(origin.clientAddress) else {
            logger.notice("sender checks skipped: client address \(origin.clientAddress) is not an IP address")
            return .unchecked
        }
        if exemptNetworks.contains(where: { $0.contains(client) }) {
            logger.debug("sender checks skipped: client \(origin.clientAddress) is in an exempt network")
            return .unchecked
        }
        let verdict = await authenticator.check(message, client: client, helo: origin.heloName, mailFrom: origin.sender)
        let disposition = verdict.disposition
        logger.info("\(summary(verdict, client: origin.clientAddress))")
        switch disposition {
        case .reject: return .refuse(Self.refusal(verdict))
        case .quarantine: return .junk(verdict.apply(to: message))
        case .none: return .deliver(verdict.apply(to: message))
        }
    }

    /// One log line: `sender checks client=… spf=… dkim=… dmarc=… from=… disposition=…`; a check that
    /// is turned off says `off`, DMARC with neither SPF nor DKIM to build on says `skipped`.
    func summary(_ verdict: MessageAuthenticator.Verdict, client: String) -> String {
        let checks = authenticator.checks
        let dkim = verdict.dkim.map { $0.isEmpty ? "none" : $0.map(\.status.rawValue).joined(separator: ",") }
        let dmarc = verdict.dmarc?.result.rawValue ?? (checks.dmarc ? "skipped" : "off")
        return "sender checks client=\(client) spf=\(verdict.spf?.result.rawValue ?? "off") dkim=\(dkim ?? "off")"
            + " dmarc=\(dmarc) from=\(verdict.dmarc?.fromDomain ?? "-")"
            + " disposition=\(verdict.disposition.rawValue)"
    }

    /// The text of the `550 5.7.1`: whose policy refused the message and why (RFC 7489 §7.3).
    static func refusal(_ verdict: MessageAuthenticator.Verdict) -> String {
        let domain = verdict.dmarc?.fromDomain ?? "the From domain"
        let why = verdict.dmarc?.reason.map { ": \($0)" } ?? ""
        return "Message refused: DMARC policy of \(domain) is reject\(why)"
    }
}

extension CorreoService {
    /// The sender checks when the configuration asks for them, with the server's host name as
    /// authserv-id; nil when they are off, or when neither SPF nor DKIM is on (DMARC alone has nothing
    /// to evaluate, so no check would run).
    static func inboundAuthentication(
        _ configuration: CorreoConfiguration,
        resolver: DNSResolver,
        logger: Logger
    ) -> InboundAuthentication? {
        guard configuration.inboundAuthChecks else { return nil }
        let checks = configuration.inboundChecks
        guard checks.spf || checks.dkim else {
            logger.notice("sender checks off: with neither SPF nor DKIM, DMARC has nothing to evaluate")
            return nil
        }
        return InboundAuthentication(
            hostname: configuration.hostname,
            resolver: resolver,
            checks: checks,
            exemptNetworks: configuration.inboundAuthExempt.compactMap(InboundAuthentication.network),
            logger: logger
        )
    }
}

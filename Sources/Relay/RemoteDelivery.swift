import Foundation
import Logging
import MTASTS
import MailStore
import SMTPClient
import SMTPCore

/// What became of one recipient in one attempt.
public struct RecipientOutcome: Hashable, Sendable {
    /// Accepted, deferred or failed: what the queue does next with the recipient.
    public enum Kind: Hashable, Sendable {
        /// Accepted by the next hop; `offersDSN` tells "delivered" from "relayed" (RFC 3461 §5.2.2).
        case accepted(offersDSN: Bool)
        /// Try again later.
        case deferred
        /// Refused for good: bounce.
        case failed
    }

    /// The recipient's address, as in RCPT TO.
    public var address: String
    /// What became of it.
    public var kind: Kind
    /// The reply or the error, in a form for logs and the DSN ("550 5.1.1 No such user", "connection refused").
    public var reply: String
    /// The host that answered, when one did.
    public var remoteMTA: String?
    /// Whether the session ran over TLS (logged per delivery).
    public var tls: Bool

    /// An outcome; `remoteMTA` and `tls` only when a host answered.
    public init(address: String, kind: Kind, reply: String, remoteMTA: String? = nil, tls: Bool = false) {
        self.address = address
        self.kind = kind
        self.reply = reply
        self.remoteMTA = remoteMTA
        self.tls = tls
    }
}

/// One attempt to hand a message to the next hop for the recipients of one domain: route by MX, try each
/// host and each of its addresses until one takes the transaction, and say per recipient what happened.
struct RemoteDelivery: Sendable {
    let settings: RelaySettings
    let resolver: any RelayResolver
    let logger: Logger
    /// MTA-STS and TLS-RPT, when on.
    var security: OutboundTransportSecurity? = nil
    /// Now, for TLS-RPT's day.
    var clock: @Sendable () -> Date = { Date() }
    /// Sessions kept open between messages to the same next hop.
    let sessions = SessionCache()

    func deliver(
        _ message: [UInt8],
        envelope: QueueEnvelope,
        domain: String,
        recipients: [QueuedRecipient]
    ) async -> [RecipientOutcome] {
        if let smarthost = settings.smarthost {
            // The reason of a failed attempt (a refused certificate, AUTH) goes into the deferral, the log
            // line and any delay notice, not just "could not connect".
            var ignored: SMTPClientError?
            var problem = "4.4.1 could not connect to the relay host \(smarthost.host):\(smarthost.port)"
            return await attempt(
                message,
                envelope: envelope,
                recipients: recipients,
                host: smarthost.host,
                address: smarthost.host,
                port: smarthost.port,
                tls: smarthost.tls,
                trust: smarthost.trust,
                credentials: smarthost.credentials,
                lastError: &problem,
                failure: &ignored
            ) ?? deferAll(recipients, problem)
        }
        let route: Route
        if let literal = Route.addressLiteral(domain) {
            route = .address(literal)
        } else {
            route = Route.plan(domain: domain, answer: await resolver.mailExchangers(of: domain))
        }
        let sts = await stsPolicy(for: domain, route: route, envelope: envelope)
        var names: [String]
        switch route {
        case .nullMX:
            return failAll(recipients, "556 5.1.10 \(domain) accepts no mail (null MX, RFC 7505)")
        case .noSuchDomain:
            return failAll(recipients, "550 5.1.2 \(domain): no such domain")
        case .temporaryFailure(let why):
            return deferAll(recipients, "4.4.3 DNS lookup of \(domain) failed: \(why)")
        case .address(let address):
            return await deliver(
                message,
                envelope: envelope,
                domain: domain,
                recipients: recipients,
                hosts: [(address, [address])],
                sts: nil
            )
        case .hosts(let planned):
            names = planned
        }
        if let sts, sts.mode == .enforce {
            names = await candidates(names, domain: domain, sts: sts, envelope: envelope)
            if names.isEmpty {
                return deferAll(
                    recipients,
                    "4.7.5 MTA-STS policy of \(domain) (enforce): no MX host matches its mx patterns"
                )
            }
        }
        var resolved: [(String, [String])] = []
        var lastProblem = "4.4.4 no address for the mail exchangers of \(domain)"
        for name in names {
            switch await resolver.addresses(of: name) {
            case .records(let addresses) where !addresses.isEmpty: resolved.append((name, addresses))
            case .temporaryFailure(let why): lastProblem = "4.4.3 DNS lookup of \(name) failed: \(why)"
            default: continue
            }
        }
        if resolved.isEmpty { return deferAll(recipients, lastProblem) }
        return await deliver(
            message,
            envelope: envelope,
            domain: domain,
            recipients: recipients,
            hosts: resolved,
            sts: sts
        )
    }

    /// Tries the hosts in order under the domain's TLS policy and, when one applies, its MTA-STS policy.
    private func deliver(
        _ message: [UInt8],
        envelope: QueueEnvelope,
        domain: String,
        recipients: [QueuedRecipient],
        hosts: [(name: String, addresses: [String])],
        sts: STSPolicy?
    ) async -> [RecipientOutcome] {
        let policy = settings.tlsPolicy(for: domain)
        var lastError = "4.4.1 no mail exchanger of \(domain) answered"
        for host in hosts {
            for address in host.addresses {
                var failure: SMTPClientError?
                if let sts, sts.mode != .none {
                    // RFC 8461 §4.2: STARTTLS with a certificate that verifies (PKIX) for the MX host name,
                    // the same check as the `verify` policy.
                    if let outcomes = await attempt(
                        message,
                        envelope: envelope,
                        recipients: recipients,
                        host: host.name,
                        address: address,
                        port: settings.mxPort,
                        tls: .startTLS(.required),
                        trust: .system,
                        credentials: nil,
                        lastError: &lastError,
                        failure: &failure
                    ) {
                        logSTS(envelope, domain: domain, host: host.name, result: "verified", reason: sts.mode.rawValue)
                        await tally(domain, sts, .success)
                        return outcomes
                    }
                    // A failure that is not about TLS: the next address.
                    guard let error = failure, let type = Self.resultType(error) else { continue }
                    await tally(domain, sts, .failure(type, mx: host.name, address: address, reason: "\(error)"))
                    if sts.mode == .enforce {
                        // §5: never in clear, never unverified: the message waits (and bounces at the queue's end).
                        logSTS(
                            envelope,
                            domain: domain,
                            host: host.name,
                            result: "deferred",
                            reason: "\(type.rawValue): \(error)"
                        )
                        lastError =
                            "4.7.5 MTA-STS policy of \(domain) (enforce): \(host.name) [\(address)]: \(type.rawValue): \(error)"
                        continue
                    }
                    // testing: reported, then delivered as without a policy.
                    logSTS(
                        envelope,
                        domain: domain,
                        host: host.name,
                        result: "failed-testing",
                        reason: "\(type.rawValue): \(error)"
                    )
                    failure = nil
                }
                let tls: SMTPClient.TLSMode
                switch policy {
                case .none: tls = .none
                case .opportunistic: tls = .startTLS(.opportunistic)
                case .required, .verify: tls = .startTLS(.required)
                }
                // With `verify` the certificate must name the MX host; the connection goes to its address.
                let trust: SMTPClient.Trust = policy == .verify ? .system : .insecure
                if let outcomes = await attempt(
                    message,
                    envelope: envelope,
                    recipients: recipients,
                    host: host.name,
                    address: address,
                    port: settings.mxPort,
                    tls: tls,
                    trust: trust,
                    credentials: nil,
                    lastError: &lastError,
                    failure: &failure
                ) {
                    if sts == nil, policy != .none {
                        let tlsUsed = outcomes.contains(where: \.tls)
                        await tally(
                            domain,
                            nil,
                            tlsUsed
                                ? .success
                                : .failure(.starttlsNotSupported, mx: host.name, address: address, reason: nil)
                        )
                    }
                    return outcomes
                }
                if sts == nil, let error = failure, let type = Self.resultType(error) {
                    await tally(domain, nil, .failure(type, mx: host.name, address: address, reason: "\(error)"))
                }
            }
        }
        return deferAll(recipients, lastError)
    }

    private func deferAll(_ recipients: [QueuedRecipient], _ reason: String) -> [RecipientOutcome] {
        recipients.map { RecipientOutcome(address: $0.address, kind: .deferred, reply: reason) }
    }

    private func failAll(_ recipients: [QueuedRecipient], _ reason: String) -> [RecipientOutcome] {
        recipients.map { RecipientOutcome(address: $0.address, kind: .failed, reply: reason) }
    }
}

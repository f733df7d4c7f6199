import Foundation
import Logging
import MTASTS
import MailStore
import SMTPClient
import SMTPCore

/// What became of one recipient in one attempt.
public struct RecipientOutcome: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// Accepted by the next hop; `offersDSN` tells "delivered" from "relayed" (RFC 3461 §5.2.2).
        case accepted(offersDSN: Bool)
        /// Try again later.
        case deferred
        /// Refused for good: bounce.
        case failed
    }

    public var address: String
    public var kind: Kind
    /// The reply or the error, in a form for logs and the DSN ("550 5.1.1 No such user", "connection refused").
    public var reply: String
    /// The host that answered, when one did.
    public var remoteMTA: String?
    /// Whether the session ran over TLS (logged per delivery).
    public var tls: Bool

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
                message, envelope: envelope, recipients: recipients, host: smarthost.host, address: smarthost.host,
                port: smarthost.port, tls: smarthost.tls, trust: smarthost.trust, credentials: smarthost.credentials,
                lastError: &problem, failure: &ignored
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
                message, envelope: envelope, domain: domain, recipients: recipients, hosts: [(address, [address])], sts: nil)
        case .hosts(let planned):
            names = planned
        }
        if let sts, sts.mode == .enforce {
            // RFC 8461 §4.1: only MX hosts that match the policy are candidates.
            let matching = names.filter { sts.matches($0) }
            for name in names where !matching.contains(name) {
                logSTS(envelope, domain: domain, host: name, result: "skipped", reason: "MX host does not match the policy")
            }
            if matching.isEmpty {
                await tally(domain, sts, .failure(.validationFailure, mx: names.first, address: nil, reason: "no MX host matches the MTA-STS policy"))
                return deferAll(recipients, "4.7.5 MTA-STS policy of \(domain) (enforce): no MX host matches its mx patterns")
            }
            names = matching
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
        return await deliver(message, envelope: envelope, domain: domain, recipients: recipients, hosts: resolved, sts: sts)
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
                        message, envelope: envelope, recipients: recipients, host: host.name, address: address,
                        port: settings.mxPort, tls: .startTLS(.required), trust: .system, credentials: nil,
                        lastError: &lastError, failure: &failure
                    ) {
                        logSTS(envelope, domain: domain, host: host.name, result: "verified", reason: sts.mode.rawValue)
                        await tally(domain, sts, .success)
                        return outcomes
                    }
                    guard let type = failure.flatMap(Self.resultType) else { continue }  // not TLS: next address
                    await tally(domain, sts, .failure(type, mx: host.name, address: address, reason: "\(failure!)"))
                    if sts.mode == .enforce {
                        // §5: never in clear, never unverified: the message waits (and bounces at the queue's end).
                        logSTS(envelope, domain: domain, host: host.name, result: "deferred", reason: "\(type.rawValue): \(failure!)")
                        lastError = "4.7.5 MTA-STS policy of \(domain) (enforce): \(host.name) [\(address)]: \(type.rawValue): \(failure!)"
                        continue
                    }
                    // testing: reported, then delivered as without a policy.
                    logSTS(envelope, domain: domain, host: host.name, result: "failed-testing", reason: "\(type.rawValue): \(failure!)")
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
                    message, envelope: envelope, recipients: recipients, host: host.name, address: address,
                    port: settings.mxPort, tls: tls, trust: trust, credentials: nil, lastError: &lastError, failure: &failure
                ) {
                    if sts == nil, policy != .none {
                        let tlsUsed = outcomes.contains(where: \.tls)
                        await tally(domain, nil, tlsUsed ? .success : .failure(.starttlsNotSupported, mx: host.name, address: address, reason: nil))
                    }
                    return outcomes
                }
                if sts == nil, let type = failure.flatMap(Self.resultType) {
                    await tally(domain, nil, .failure(type, mx: host.name, address: address, reason: "\(failure!)"))
                }
            }
        }
        return deferAll(recipients, lastError)
    }

    /// One session with one address; nil when no transaction could be started there (try the next one),
    /// with the reason in `lastError`.
    private func attempt(
        _ message: [UInt8],
        envelope: QueueEnvelope,
        recipients: [QueuedRecipient],
        host: String,
        address: String,
        port: Int,
        tls: SMTPClient.TLSMode,
        trust: SMTPClient.Trust,
        credentials: SMTPCredentials?,
        lastError: inout String,
        failure: inout SMTPClientError?
    ) async -> [RecipientOutcome]? {
        // A verified session checks the certificate against the host's name, not the address it went to.
        let serverName = trust == .insecure || host == address ? nil : host
        let key = SessionCache.Key(
            address: address, port: port, tls: tls, trust: trust, user: credentials?.username, serverName: serverName)
        let connection: SMTPConnection
        var uses = 0
        var reused = false
        if let kept = await sessions.take(key) {
            (connection, uses, reused) = (kept.connection, kept.uses, true)
        } else {
            var configuration = SMTPClient.Configuration()
            configuration.localHostname = settings.hostname
            configuration.tlsServerName = serverName
            do {
                connection = try await SMTPClient.connect(
                    host: address, port: port, tls: tls, trust: trust, auth: credentials,
                    configuration: configuration, logger: logger
                )
            } catch {
                failure = error as? SMTPClientError
                lastError = "4.4.1 \(host) [\(address)]:\(port): \(error)"
                logger.info(
                    "relay attempt failed", metadata: ["queue_id": "\(envelope.id)", "relay.host": "\(host)",
                        "relay.address": "\(address)", "error": "\(error)"])
                // A greeting or EHLO refused for good ends the attempt at this host, not the delivery.
                return nil
            }
        }
        var keep = false
        defer {
            let (sessions, used) = (self.sessions, uses + 1)
            if keep {
                Task { [key, connection] in await sessions.put(key, connection, uses: used) }
            } else {
                Task { [connection] in await connection.close() }
            }
        }
        let offersDSN = connection.capabilities.supports("DSN")
        let isTLS = connection.isTLSActive
        do {
            let result = try await connection.send(
                from: envelope.sender, recipients: recipients.map(\.address), message: message,
                dsn: Self.dsnRequest(envelope, recipients)
            )
            let accepted = result.dataReply.description
            keep = true
            return result.recipients.map { rcpt in
                if rcpt.accepted {
                    return RecipientOutcome(address: rcpt.address, kind: .accepted(offersDSN: offersDSN), reply: accepted, remoteMTA: host, tls: isTLS)
                }
                return RecipientOutcome(
                    address: rcpt.address, kind: rcpt.reply.isTransientFailure ? .deferred : .failed,
                    reply: rcpt.reply.description, remoteMTA: host, tls: isTLS)
            }
        } catch {
            keep = error.leavesConnectionUsable
            if reused, Self.isLostSession(error) {
                // A kept session the server had meanwhile dropped: the same host again, on a new one.
                logger.debug("a kept session was gone; connecting again", metadata: ["relay.host": "\(host)"])
                return await attempt(
                    message, envelope: envelope, recipients: recipients, host: host, address: address, port: port,
                    tls: tls, trust: trust, credentials: credentials, lastError: &lastError, failure: &failure)
            }
            switch error {
            case .allRecipientsRejected(let results):
                return results.map {
                    RecipientOutcome(
                        address: $0.address, kind: $0.reply.isTransientFailure ? .deferred : .failed,
                        reply: $0.reply.description, remoteMTA: host, tls: isTLS)
                }
            case .senderRejected(let reply), .dataRejected(let reply):
                let kind: RecipientOutcome.Kind = reply.isTransientFailure ? .deferred : .failed
                return recipients.map {
                    RecipientOutcome(address: $0.address, kind: kind, reply: reply.description, remoteMTA: host, tls: isTLS)
                }
            case .messageTooLarge, .eightBitMIMENotOffered, .smtpUTF8NotOffered:
                // Another MX of the same domain would say the same: this message cannot go there.
                return recipients.map {
                    RecipientOutcome(address: $0.address, kind: .failed, reply: "554 5.3.4 \(host): \(error)", remoteMTA: host, tls: isTLS)
                }
            default:
                failure = error
                lastError = "4.4.2 \(host) [\(address)]: \(error)"
                return nil
            }
        }
    }

    /// The sender's DSN wishes, passed on to a next hop that offers DSN (RFC 3461 §5.2.1): from then on
    /// it reports, and correo's own record says "delivered" rather than "relayed".
    static func dsnRequest(_ envelope: QueueEnvelope, _ recipients: [QueuedRecipient]) -> SMTPDSNRequest {
        SMTPDSNRequest(
            ret: envelope.returnContent.map { $0 == .headers ? .headers : .full },
            envelopeID: envelope.envelopeID,
            recipients: recipients.map { recipient in
                let notify: SMTPDSNNotify?
                if recipient.notify == .default {
                    notify = nil  // none was given: the next hop's default is the same
                } else if recipient.notify == .never {
                    notify = .never
                } else {
                    let wish = recipient.notify
                    notify = .on(success: wish.success, failure: wish.failure, delay: wish.delay)
                }
                return SMTPRecipientParameters(notify: notify, originalRecipient: recipient.originalRecipient)
            }
        )
    }

    /// Errors that mean the session is gone rather than that the server refused something.
    static func isLostSession(_ error: SMTPClientError) -> Bool {
        switch error {
        case .connectionClosed, .connectionUnusable, .connectionFailed, .timeout: true
        default: false
        }
    }

    private func deferAll(_ recipients: [QueuedRecipient], _ reason: String) -> [RecipientOutcome] {
        recipients.map { RecipientOutcome(address: $0.address, kind: .deferred, reply: reason) }
    }

    private func failAll(_ recipients: [QueuedRecipient], _ reason: String) -> [RecipientOutcome] {
        recipients.map { RecipientOutcome(address: $0.address, kind: .failed, reply: reason) }
    }
}

import Logging
import MailStore
import SMTPClient
import SMTPCore

extension RemoteDelivery {
    /// One session with one address; nil when no transaction could be started there (try the next one),
    /// with the reason in `lastError`.
    func attempt(
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
            address: address,
            port: port,
            tls: tls,
            trust: trust,
            user: credentials?.username,
            serverName: serverName
        )
        let connection: SMTPConnection
        var uses = 0
        var reused = false
        if let kept = await sessions.take(key) {
            (connection, uses, reused) = (kept.connection, kept.uses, true)
        } else if let opened = await connect(
            key,
            host: host,
            credentials: credentials,
            envelope: envelope,
            lastError: &lastError,
            failure: &failure
        ) {
            connection = opened
        } else {
            // A greeting or EHLO refused for good ends the attempt at this host, not the delivery.
            return nil
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
                from: envelope.sender,
                recipients: recipients.map(\.address),
                message: message,
                dsn: Self.dsnRequest(envelope, recipients)
            )
            let accepted = result.dataReply.description
            keep = true
            return result.recipients.map { rcpt in
                RecipientOutcome(
                    address: rcpt.address,
                    kind: rcpt.accepted
                        ? .accepted(offersDSN: offersDSN) : rcpt.reply.isTransientFailure ? .deferred : .failed,
                    reply: rcpt.accepted ? accepted : rcpt.reply.description,
                    remoteMTA: host,
                    tls: isTLS
                )
            }
        } catch {
            keep = error.leavesConnectionUsable
            if reused, Self.isLostSession(error) {
                // A kept session the server had meanwhile dropped: the same host again, on a new one.
                logger.debug("a kept session was gone; connecting again", metadata: ["relay.host": "\(host)"])
                return await attempt(
                    message,
                    envelope: envelope,
                    recipients: recipients,
                    host: host,
                    address: address,
                    port: port,
                    tls: tls,
                    trust: trust,
                    credentials: credentials,
                    lastError: &lastError,
                    failure: &failure
                )
            }
            if let outcomes = Self.outcomes(of: error, recipients: recipients, host: host, tls: isTLS) {
                return outcomes
            }
            failure = error
            lastError = "4.4.2 \(host) [\(address)]: \(error)"
            return nil
        }
    }

    /// A new session for `key`; nil, with the reason in `lastError` and `failure`, when none could be opened.
    private func connect(
        _ key: SessionCache.Key,
        host: String,
        credentials: SMTPCredentials?,
        envelope: QueueEnvelope,
        lastError: inout String,
        failure: inout SMTPClientError?
    ) async -> SMTPConnection? {
        var configuration = SMTPClient.Configuration()
        configuration.localHostname = settings.hostname
        configuration.tlsServerName = key.serverName
        do {
            return try await SMTPClient.connect(
                host: key.address,
                port: key.port,
                tls: key.tls,
                trust: key.trust,
                auth: credentials,
                configuration: configuration,
                logger: logger
            )
        } catch {
            failure = error
            lastError = "4.4.1 \(host) [\(key.address)]:\(key.port): \(error)"
            logger.info(
                "relay attempt failed",
                metadata: [
                    "queue_id": "\(envelope.id)", "relay.host": "\(host)",
                    "relay.address": "\(key.address)", "error": "\(error)",
                ]
            )
            return nil
        }
    }

    /// What a refusal of the transaction means for each recipient; nil for an error that says nothing
    /// about them (the next address may do better).
    static func outcomes(
        of error: SMTPClientError,
        recipients: [QueuedRecipient],
        host: String,
        tls: Bool
    ) -> [RecipientOutcome]? {
        switch error {
        case .allRecipientsRejected(let results):
            return results.map {
                RecipientOutcome(
                    address: $0.address,
                    kind: $0.reply.isTransientFailure ? .deferred : .failed,
                    reply: $0.reply.description,
                    remoteMTA: host,
                    tls: tls
                )
            }
        case .senderRejected(let reply), .dataRejected(let reply):
            let kind: RecipientOutcome.Kind = reply.isTransientFailure ? .deferred : .failed
            return recipients.map {
                RecipientOutcome(address: $0.address, kind: kind, reply: reply.description, remoteMTA: host, tls: tls)
            }
        case .messageTooLarge, .eightBitMIMENotOffered, .smtpUTF8NotOffered:
            // Another MX of the same domain would say the same: this message cannot go there.
            return recipients.map {
                RecipientOutcome(
                    address: $0.address,
                    kind: .failed,
                    reply: "554 5.3.4 \(host): \(error)",
                    remoteMTA: host,
                    tls: tls
                )
            }
        default:
            return nil
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
}

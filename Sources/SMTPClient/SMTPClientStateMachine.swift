import NIOCore
import SMTPCore

/// The client side of an SMTP session as a value: replies and requests in, actions out, no I/O inside.
///
/// The session runs greeting → EHLO (HELO if refused) → STARTTLS and EHLO again → AUTH → ready; each message
/// is then a transaction MAIL → RCPT… → DATA → message → final reply, pipelined when the server offers
/// PIPELINING (RFC 2920), with RSET first when the previous transaction did not finish.
struct SMTPClientStateMachine {
    /// How the session is set up.
    struct Configuration: Hashable, Sendable {
        /// The name the client gives in EHLO/HELO.
        var localHostname: String
        /// What to do about TLS.
        var tls: SMTPClient.TLSMode
        /// Credentials for AUTH, if any.
        var credentials: SMTPCredentials?
        /// Whether AUTH may happen on a connection without TLS.
        var allowsAuthenticationWithoutTLS: Bool
    }

    /// One message to send, already in its wire form.
    struct Envelope: Hashable, Sendable {
        var from: String
        var recipients: [String]
        /// The message, dot-stuffed and ended with CRLF "." CRLF.
        var wireMessage: ByteBuffer
        /// The message's size in octets before dot-stuffing (what SIZE compares).
        var size: Int
        /// Whether the message has bytes above 127.
        var needsEightBit: Bool
        /// Whether an address or a header holds UTF-8 (RFC 6531).
        var needsSMTPUTF8: Bool
        /// DSN parameters (RFC 3461) to pass on when the server offers DSN.
        var dsn: SMTPDSNRequest? = nil
    }

    /// What the handler must do.
    enum Action: Hashable {
        case none
        /// Write the commands and flush.
        case write([SMTPCommand])
        /// Write a base64 line answering an AUTH challenge (RFC 4954 §4), and flush; never logged.
        case writeSASLResponse(String)
        /// Write the message (after 354) and flush.
        case writeMessage(ByteBuffer)
        /// Begin the TLS handshake; call `tlsEstablished()` once writes go through TLS.
        case startTLS
        /// The session is ready for messages.
        case sessionReady(SMTPExtensions)
        /// The current message was accepted.
        case sendCompleted(SendResult)
        /// The current message was refused; the connection remains usable.
        case sendFailed(SMTPClientError)
        /// The session failed: report the error and close the connection.
        case fail(SMTPClientError)
        /// QUIT was answered: close the connection.
        case close
    }

    private enum Expected: Hashable {
        case rset, mail
        case rcpt(Int)
        case data, final, finalAfterEmptyData
    }

    private struct Transaction: Hashable {
        var envelope: Envelope
        var pipelined: Bool
        var pending: [Expected]
        var mailReply: SMTPReply?
        var recipientReplies: [SMTPReply] = []

        var recipientResults: [RecipientResult] {
            zip(envelope.recipients, recipientReplies).map { RecipientResult(address: $0, reply: $1) }
        }
        var anyRecipientAccepted: Bool { recipientReplies.contains { $0.isPositiveCompletion } }
    }

    private enum State: Hashable {
        case awaitingGreeting
        case awaitingEHLOReply
        case awaitingHELOReply
        case awaitingStartTLSReply
        case awaitingTLSHandshake
        case authenticating(SASLMechanism, step: Int)
        case ready
        case inTransaction(Transaction)
        case quitting
        case closed
    }

    private var configuration: Configuration
    private var state: State = .awaitingGreeting
    private(set) var capabilities: SMTPExtensions = .none
    private(set) var isTLSActive: Bool
    private var needsReset = false

    init(configuration: Configuration) {
        self.configuration = configuration
        self.isTLSActive = configuration.tls == .implicit
    }

    /// Sets the name given in EHLO/HELO, once the local address is known.
    mutating func useLocalHostname(_ name: String) {
        configuration.localHostname = name
    }

    /// Whether the machine waits for a reply (the handler runs its timeout while this holds).
    var isAwaitingReply: Bool {
        switch state {
        case .ready, .closed: false
        default: true
        }
    }

    /// Whether the machine waits for the reply to the end of a message (the longer DATA timeout applies).
    var isAwaitingFinalReply: Bool {
        if case .inTransaction(let transaction) = state, transaction.pending.first == .final { return true }
        return false
    }

    /// Whether a new message can start now.
    var isReady: Bool { state == .ready }

    /// Whether the session is over.
    var isClosed: Bool { state == .closed }

    // MARK: - Replies

    /// A complete reply arrived.
    mutating func receivedReply(_ reply: SMTPReply) -> Action {
        if reply.code == 421, state != .quitting {
            return fail(.serviceNotAvailable(reply))
        }
        switch state {
        case .awaitingGreeting:
            guard reply.code == 220 else { return fail(.greetingRejected(reply)) }
            state = .awaitingEHLOReply
            return .write([.ehlo(configuration.localHostname)])
        case .awaitingEHLOReply:
            if reply.isPositiveCompletion {
                capabilities = SMTPExtensions(ehloReply: reply)
                return afterGreetingExchange()
            }
            // RFC 5321 §3.2: a server that does not know EHLO answers 5yz (500/502); fall back to HELO.
            guard reply.isPermanentFailure else { return fail(.heloRejected(reply)) }
            state = .awaitingHELOReply
            return .write([.helo(configuration.localHostname)])
        case .awaitingHELOReply:
            guard reply.isPositiveCompletion else { return fail(.heloRejected(reply)) }
            capabilities = .none
            return afterGreetingExchange()
        case .awaitingStartTLSReply:
            if reply.code == 220 {
                state = .awaitingTLSHandshake
                return .startTLS
            }
            if configuration.tls == .startTLS(.required) { return fail(.startTLSRejected(reply)) }
            return afterTLSDecision()
        case .awaitingTLSHandshake, .ready, .closed:
            return fail(.unexpectedReply(reply))
        case .authenticating(let mechanism, let step):
            return authenticationReply(reply, mechanism: mechanism, step: step)
        case .inTransaction(var transaction):
            return transactionReply(reply, &transaction)
        case .quitting:
            state = .closed
            return .close
        }
    }

    /// The TLS handshake after STARTTLS completed: RFC 3207 §4.2 says to forget what the server said and EHLO again.
    mutating func tlsEstablished() -> Action {
        guard state == .awaitingTLSHandshake else { return .none }
        isTLSActive = true
        capabilities = .none
        state = .awaitingEHLOReply
        return .write([.ehlo(configuration.localHostname)])
    }

    private mutating func afterGreetingExchange() -> Action {
        if case .startTLS = configuration.tls, !isTLSActive {
            if capabilities.startTLS {
                state = .awaitingStartTLSReply
                return .write([.startTLS])
            }
            if configuration.tls == .startTLS(.required) { return fail(.startTLSNotOffered) }
        }
        return afterTLSDecision()
    }

    private mutating func afterTLSDecision() -> Action {
        guard let credentials = configuration.credentials else { return becomeReady() }
        guard isTLSActive || configuration.allowsAuthenticationWithoutTLS else {
            return fail(.authenticationRequiresTLS)
        }
        guard capabilities.offersAuthentication else { return fail(.authenticationNotOffered) }
        let offered = capabilities.offeredMechanisms
        guard let mechanism = SASLMechanism.choose(offered: offered) else {
            return fail(.authenticationMechanismsUnsupported(offered: offered))
        }
        state = .authenticating(mechanism, step: 0)
        switch mechanism {
        case .plain:
            return .write([.auth(mechanism: "PLAIN", initialResponse: SASLMechanism.plainResponse(credentials))])
        case .login:
            return .write([.auth(mechanism: "LOGIN", initialResponse: nil)])
        }
    }

    /// The AUTH step after the client cancelled with "*".
    private static let cancelledStep = -1

    private mutating func authenticationReply(_ reply: SMTPReply, mechanism: SASLMechanism, step: Int) -> Action {
        if reply.code == 235 { return becomeReady() }
        guard reply.code == 334, let credentials = configuration.credentials else {
            return fail(.authenticationFailed(reply))
        }
        switch (mechanism, step) {
        case (.login, 0):
            state = .authenticating(.login, step: 1)
            return .writeSASLResponse(SASLMechanism.base64(credentials.username))
        case (.login, 1):
            state = .authenticating(.login, step: 2)
            return .writeSASLResponse(SASLMechanism.base64(credentials.password))
        default:
            // A challenge where none is due: "*" cancels the exchange (RFC 4954 §4); the server then answers
            // 501, which ends the session as a failed AUTH above.
            state = .authenticating(mechanism, step: Self.cancelledStep)
            return step == Self.cancelledStep ? fail(.authenticationFailed(reply)) : .writeSASLResponse("*")
        }
    }

    private mutating func becomeReady() -> Action {
        state = .ready
        return .sessionReady(capabilities)
    }

    // MARK: - Transactions

    /// Starts sending a message.
    ///
    /// Only valid when `isReady`.
    mutating func send(_ envelope: Envelope) -> Action {
        guard state == .ready else { return .sendFailed(.connectionUnusable) }
        guard !envelope.recipients.isEmpty else { return .sendFailed(.noRecipients) }
        // The null reverse-path "<>" is allowed for MAIL FROM only (RFC 5321 §4.5.5).
        if !envelope.from.isEmpty && !Self.isUsableInPath(envelope.from) {
            return .sendFailed(.invalidAddress(envelope.from))
        }
        if let bad = envelope.recipients.first(where: { !Self.isUsableInPath($0) }) {
            return .sendFailed(.invalidAddress(bad))
        }
        if let limit = capabilities.messageSizeLimit, envelope.size > limit {
            return .sendFailed(.messageTooLarge(size: envelope.size, limit: limit))
        }
        if envelope.needsSMTPUTF8 && !capabilities.smtpUTF8 { return .sendFailed(.smtpUTF8NotOffered) }
        let eightBitCarried = capabilities.eightBitMIME || (envelope.needsSMTPUTF8 && capabilities.smtpUTF8)
        if envelope.needsEightBit && !eightBitCarried { return .sendFailed(.eightBitMIMENotOffered) }

        let mail = mailCommand(for: envelope)

        let pipelined = capabilities.pipelining
        let resetFirst = needsReset
        needsReset = false
        var transaction = Transaction(envelope: envelope, pipelined: pipelined, pending: [])
        var commands: [SMTPCommand]
        if pipelined {
            // RFC 2920 §3.1: RSET, MAIL and RCPT may appear anywhere in a group; DATA ends it.
            commands =
                (resetFirst ? [.rset] : []) + [mail] + envelope.recipients.indices.map { rcptCommand(envelope, $0) } + [
                    .data
                ]
            transaction.pending =
                (resetFirst ? [.rset] : []) + [.mail]
                + envelope.recipients.indices.map { .rcpt($0) } + [.data]
        } else {
            commands = resetFirst ? [.rset] : [mail]
            transaction.pending = [resetFirst ? .rset : .mail]
        }
        state = .inTransaction(transaction)
        return .write(commands)
    }

    private mutating func transactionReply(_ reply: SMTPReply, _ transaction: inout Transaction) -> Action {
        guard !transaction.pending.isEmpty else { return fail(.unexpectedReply(reply)) }
        let expected = transaction.pending.removeFirst()
        let envelope = transaction.envelope
        switch expected {
        case .rset:
            guard reply.isPositiveCompletion else { return fail(.unexpectedReply(reply)) }
            if !transaction.pipelined {
                transaction.pending = [.mail]
                state = .inTransaction(transaction)
                return .write([mailCommand(for: envelope)])
            }
        case .mail:
            transaction.mailReply = reply
            if !transaction.pipelined {
                guard reply.isPositiveCompletion else { return finishFailed(.senderRejected(reply), reset: false) }
                transaction.pending = [.rcpt(0)]
                state = .inTransaction(transaction)
                return .write([rcptCommand(envelope, 0)])
            }
        case .rcpt(let index):
            transaction.recipientReplies.append(reply)
            if !transaction.pipelined {
                if index + 1 < envelope.recipients.count {
                    transaction.pending = [.rcpt(index + 1)]
                    state = .inTransaction(transaction)
                    return .write([rcptCommand(envelope, index + 1)])
                }
                guard transaction.anyRecipientAccepted else {
                    return finishFailed(.allRecipientsRejected(transaction.recipientResults), reset: true)
                }
                transaction.pending = [.data]
                state = .inTransaction(transaction)
                return .write([.data])
            }
        case .data:
            let mailAccepted = transaction.mailReply?.isPositiveCompletion ?? false
            if reply.code == 354 {
                if mailAccepted && transaction.anyRecipientAccepted {
                    transaction.pending = [.final]
                    state = .inTransaction(transaction)
                    return .writeMessage(envelope.wireMessage)
                }
                // RFC 2920 §3.1: DATA was accepted although no recipient was; end it with an empty message.
                transaction.pending = [.finalAfterEmptyData]
                state = .inTransaction(transaction)
                return .writeMessage(ByteBuffer(string: ".\r\n"))
            }
            return finishFailed(failure(of: transaction, dataReply: reply), reset: mailAccepted)
        case .final:
            guard reply.isPositiveCompletion, let mailReply = transaction.mailReply else {
                return finishFailed(.dataRejected(reply), reset: false)
            }
            state = .ready
            return .sendCompleted(
                SendResult(mailReply: mailReply, recipients: transaction.recipientResults, dataReply: reply)
            )
        case .finalAfterEmptyData:
            return finishFailed(failure(of: transaction, dataReply: reply), reset: true)
        }
        state = .inTransaction(transaction)
        return .none
    }

    private func failure(of transaction: Transaction, dataReply: SMTPReply) -> SMTPClientError {
        if let mailReply = transaction.mailReply, !mailReply.isPositiveCompletion { return .senderRejected(mailReply) }
        if !transaction.anyRecipientAccepted { return .allRecipientsRejected(transaction.recipientResults) }
        return .dataRejected(dataReply)
    }

    private mutating func finishFailed(_ error: SMTPClientError, reset: Bool) -> Action {
        needsReset = reset
        state = .ready
        return .sendFailed(error)
    }

    // MARK: - Ending

    /// Ends the session politely: QUIT, then close once answered.
    mutating func quit() -> Action {
        switch state {
        case .closed: return .close
        case .quitting: return .none
        case .awaitingTLSHandshake:
            state = .closed
            return .close
        default:
            state = .quitting
            return .write([.quit])
        }
    }

    /// The connection is gone or broken; nothing more will be sent.
    mutating func fail(_ error: SMTPClientError) -> Action {
        state = .closed
        return .fail(error)
    }

    /// Whether `address` can go between "<" and ">" in MAIL/RCPT without changing the command.
    static func isUsableInPath(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard !bytes.isEmpty, bytes.count <= SMTPClientDefaults.maximumPathLength - 2 else { return false }
        guard SMTPMailbox(address: address) != nil else { return false }
        return !bytes.contains { $0 < 0x21 || $0 == 0x7F || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }
    }
}

import Foundation
import NIOCore
import SMTPCore

/// One SMTP conversation as a value: events in (octets, answers from the store and the authenticator),
/// actions out (replies, store operations, STARTTLS, close).
///
/// No I/O happens here; time comes from an injected clock, so every path is testable with one-line expectations.
public struct SMTPSession: Sendable {
    /// Where the session is in the protocol.
    enum Phase: Hashable, Sendable {
        case command
        /// Reading DATA lines until `.`.
        case data
        /// Reading the octets of a BDAT chunk; `refusal` is sent instead of accepting it.
        case chunk(remaining: Int, size: Int, last: Bool, refusal: SMTPReply?)
        case authPlainResponse
        case authLoginUsername
        case authLoginPassword(username: String)
        /// Waiting for the handler to answer an action; input stays buffered meanwhile.
        case awaiting(Wait)
        case closed
    }

    enum Wait: Hashable, Sendable {
        case recipient(address: String)
        /// The shared throttle is asked about the client's address before these credentials are checked.
        case authenticationThrottle(SMTPCredentials)
        case authentication(username: String)
        /// A failed AUTH waits for the shared throttle's back-off for the client's address.
        case authenticationFailureRecord(username: String)
        /// A failed AUTH's `535` waits for the back-off pause to end.
        case failedAuthenticationPause(username: String)
        case delivery
        /// A scripted delay (`SMTPFaultScript`) before this command is handled.
        case scriptedDelay(SMTPCommand)
    }

    /// What went wrong inside a message that is still being read.
    enum MessageFault: Hashable, Sendable {
        case tooBig
        case lineTooLong
        /// More `Received:` fields than `SMTPServerDefaults.maximumHops` (RFC 5321 §6.3).
        case routingLoop
    }

    /// Names, policy and limits.
    public let configuration: SMTPSessionConfiguration
    /// Names this connection in logs and Received: ids.
    public let connectionID: String
    /// The client's IP address, for the Received: header.
    public let clientAddress: String
    let clock: @Sendable () -> Date

    var framer = SMTPLineFramer(maximumLineLength: SMTPDefaults.textLineLength)
    var phase = Phase.command
    /// The EHLO/HELO name, and whether it was EHLO.
    var greeting: (name: String, extended: Bool)?
    /// Whether the connection is encrypted (implicit TLS, or after STARTTLS).
    public internal(set) var isTLS: Bool
    /// The authenticated user, after a successful AUTH.
    public internal(set) var authenticatedUser: String?
    var sender: SMTPReversePath?
    /// The command being answered, for the refusal's log line (SMTPLogLines); nil for a line that did
    /// not parse.
    var currentCommand: SMTPCommand?
    var mailParameters = SMTPMailParameters()
    var recipients: [String] = []
    /// Every accepted recipient with its DSN parameters, kept when `configuration.relays`.
    var envelopeRecipients: [SMTPEnvelopeRecipient] = []
    /// The parameters of the RCPT whose lookup is awaited.
    var pendingRecipientParameters = SMTPRecipientParameters()
    var messageOpen = false
    var messageSize = 0
    var messageFault: MessageFault?
    /// A scripted cut-off of this transaction's message data (`SMTPFaultScript`), in octets.
    var dataCutoff: Int?
    var hops = HopCounter()
    var transactionCount = 0
    var errorCount = 0
    var authenticationFailures = 0
    var shuttingDown = false
    /// Whole lines (and BDAT octets) taken so far: the handler restarts its idle timer only when this
    /// grows, so a client trickling a line one octet at a time cannot hold the connection forever.
    public internal(set) var progress = 0
    /// Octets of message data gathered during one event, handed out as one action.
    var pendingData = ByteBuffer()
    var actions: [Action] = []

    /// A session for one connection, named `connectionID` in its log lines.
    public init(
        configuration: SMTPSessionConfiguration,
        connectionID: String,
        clientAddress: String,
        isTLS: Bool = false,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.connectionID = connectionID
        self.clientAddress = clientAddress
        self.isTLS = isTLS
        self.clock = clock
    }

    /// Whether the session waits for the handler's answer (the handler stops reading meanwhile).
    public var isAwaitingAnswer: Bool {
        if case .awaiting = phase { return true }
        return false
    }

    /// Whether the session has ended; no more events are taken.
    public var isClosed: Bool { phase == .closed }

    /// Whether a mail transaction is under way (MAIL given, not yet finished or reset).
    public var inTransaction: Bool { sender != nil }

    /// Takes one event and returns what to do, in order.
    public mutating func received(_ event: Event) -> [Action] {
        guard phase != .closed else { return [] }
        actions = []
        switch event {
        case .connected:
            send(SMTPReply(code: 220, nil, "\(configuration.hostname) ESMTP correo ready"))
        case .bytes(let bytes):
            framer.append(bytes)
        case .recipientLookedUp(let mailbox):
            guard case .awaiting(.recipient(let address)) = phase else { break }
            phase = .command
            recipientLookedUp(address: address, mailbox: mailbox)
        case .recipientLookupUnavailable:
            guard case .awaiting(.recipient) = phase else { break }
            phase = .command
            // The server's trouble, not the client's mistake: it does not count toward the error limit.
            send(Reply.recipientUnavailable, countsAsError: false)
        case .authenticationAllowed:
            guard case .awaiting(.authenticationThrottle(let credentials)) = phase else { break }
            checkCredentials(credentials)
        case .authenticationThrottled:
            guard case .awaiting(.authenticationThrottle) = phase else { break }
            closeWith(Reply.authThrottled)
        case .authenticated(let success):
            guard case .awaiting(.authentication(let username)) = phase else { break }
            phase = .command
            authenticationChecked(username: username, success: success)
        case .authenticationUnavailable:
            guard case .awaiting(.authentication) = phase else { break }
            phase = .command
            // Not a failure: no pause, no count toward the cut-off, nothing told to the shared throttle.
            send(Reply.authUnavailable, countsAsError: false)
        case .authenticationFailureRecorded(let backOff):
            guard case .awaiting(.authenticationFailureRecord(let username)) = phase else { break }
            phase = .command
            authenticationFailed(username: username, backOff: backOff)
        case .pauseElapsed:
            if case .awaiting(.scriptedDelay(let command)) = phase {
                phase = .command
                handle(command, scripted: false)
                break
            }
            guard case .awaiting(.failedAuthenticationPause(let username)) = phase else { break }
            phase = .command
            authenticationFinished(username: username, success: false)
        case .messageStored(let outcome):
            guard phase == .awaiting(.delivery) else { break }
            phase = .command
            messageStored(outcome)
        case .shutdownRequested:
            shuttingDown = true
            if phase == .command, !inTransaction { closeWith(Reply.shuttingDown(configuration.hostname)) }
        case .timedOut:
            closeWith(Reply.timeout)
        }
        processBufferedInput()
        flushData()
        return actions
    }

    /// Frames and handles buffered input until more is needed, an answer is awaited, or the session closes.
    mutating func processBufferedInput() {
        while true {
            switch phase {
            case .closed, .awaiting:
                return
            case .chunk(let remaining, let size, let last, let refusal):
                if remaining == 0 {
                    chunkFinished(size: size, last: last, refusal: refusal)
                    continue
                }
                guard let bytes = framer.nextBytes(maximum: remaining) else { return }
                progress += 1
                phase = .chunk(remaining: remaining - bytes.readableBytes, size: size, last: last, refusal: refusal)
                if refusal == nil { messageBytes(bytes) }
            case .data:
                if messageFault == nil, dataCutoff == nil, let lines = framer.nextPlainLines() {
                    progress += 1
                    dataLines(lines)
                    continue
                }
                guard let frame = framer.nextLine() else { return }
                progress += 1
                dataLine(frame)
            case .authPlainResponse, .authLoginUsername, .authLoginPassword:
                guard let frame = framer.nextLine() else { return }
                progress += 1
                authenticationLine(frame)
            case .command:
                guard let frame = framer.nextLine() else { return }
                progress += 1
                commandLine(frame)
            }
        }
    }

    // MARK: Output

    /// Queues a reply; 5xx replies to commands count towards the error limit.
    mutating func send(_ reply: SMTPReply, countsAsError: Bool = true) {
        flushData()
        actions.append(.reply(reply))
        if countsAsError, reply.isPermanentFailure {
            errorCount += 1
            if errorCount >= configuration.maximumErrors { closeWith(Reply.tooManyErrors) }
        }
    }

    mutating func perform(_ action: Action) {
        flushData()
        actions.append(action)
    }

    mutating func flushData() {
        guard pendingData.readableBytes > 0 else { return }
        actions.append(.messageData(pendingData))
        pendingData = ByteBuffer()
    }

    /// Sends a last reply and closes; an open message is thrown away.
    mutating func closeWith(_ reply: SMTPReply) {
        guard phase != .closed else { return }
        if messageOpen, phase != .awaiting(.delivery) { perform(.abortMessage) }
        messageOpen = false
        actions.append(.reply(reply))
        actions.append(.close)
        phase = .closed
    }

    /// Ends the transaction (RSET, EHLO, after delivery or failure), throwing away an open message.
    mutating func resetTransaction() {
        if messageOpen { perform(.abortMessage) }
        messageOpen = false
        sender = nil
        mailParameters = SMTPMailParameters()
        recipients = []
        envelopeRecipients = []
        messageSize = 0
        messageFault = nil
        dataCutoff = nil
    }
}

import CoreMetrics
import Logging
import NIOCore
import NIOSSL
import SMTPCore
import ServerSupport

/// The thin channel handler around `SMTPSession`: feeds it octets and answers, performs its actions,
/// flushes once per read burst, stops reading while the store or authenticator is busy or behind, and
/// enforces the idle timeout (RFC 5321 4.5.3.2.7).
final class SMTPServerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Settings: Sendable {
        var idleTimeout: TimeAmount = SMTPServerDefaults.idleTimeout
        var unwrittenMessageBytes = SMTPServerDefaults.unwrittenMessageBytes
        var authThrottle: AuthThrottle?
    }

    private var session: SMTPSession
    private let target: any SMTPDeliveryTarget
    private let authenticator: any SMTPAuthenticator
    private let tlsContext: NIOSSLContext?
    private let settings: Settings
    private var logger: Logger
    private var context: ChannelHandlerContext?
    private var message: MessageStream?
    /// The connection's loop as a task executor: each message's drain runs there (see MessageStream).
    private var loopExecutor: EventLoopTaskExecutor?
    private var idleTimer: Scheduled<Void>?
    /// When the client last moved the session on (RFC 5321 4.5.3.2.7 times the wait from there).
    private var lastProgress = NIODeadline.uptimeNanoseconds(0)
    private var readHeld = false
    /// The replies of the current read burst, written and flushed as one buffer: one pass down the
    /// pipeline and one write(2) for MAIL's, RCPT's and DATA's replies together.
    private var pendingReplies = ByteBuffer()
    /// An answer the handler knew at once (`knownMailbox`), for `handle` to give after the current actions.
    private var immediateAnswer: SMTPSession.Event?
    /// The Message-ID of the message being received, for its `smtp.accepted` line.
    private var messageIDScanner = MessageIDScanner()
    /// The `smtp.accepted` line, written once the store said the message is safe.
    private var acceptedLine: Logger.Metadata?

    init(
        session: SMTPSession,
        target: any SMTPDeliveryTarget,
        authenticator: any SMTPAuthenticator,
        tlsContext: NIOSSLContext?,
        settings: Settings = Settings(),
        logger: Logger
    ) {
        self.session = session
        self.target = target
        self.authenticator = authenticator
        self.tlsContext = tlsContext
        self.settings = settings
        self.logger = logger
        self.logger[metadataKey: LogKey.session] = "\(session.connectionID)"
        self.logger[metadataKey: LogKey.remoteAddress] = "\(session.clientAddress)"
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { connected(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        connected(context: context)
        context.fireChannelActive()
    }

    private var hasGreeted = false

    private func connected(context: ChannelHandlerContext) {
        guard !hasGreeted else { return }
        hasGreeted = true
        logger.info("connected", metadata: [LogKey.event: "smtp.connect"])
        restartIdleTimer()
        handle(.connected)
        flushIfNeeded()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        message?.abort()
        message = nil
        logger.info("disconnected", metadata: [LogKey.event: "smtp.disconnect"])
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let progress = session.progress
        handle(.bytes(unwrapInboundIn(data)))
        // RFC 5321 4.5.3.2.7 times the wait for the next command or line, not for the next octet.
        if session.progress != progress { restartIdleTimer() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded()
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is SMTPShutdownRequest {
            handle(.shutdownRequested)
            flushIfNeeded()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Clients that drop the connection (or skip TLS close_notify) are common and harmless.
        logger.debug("connection error: \(error)")
        context.close(promise: nil)
    }

    /// Holds reads while the session waits for an answer or the store is behind (backpressure).
    func read(context: ChannelHandlerContext) {
        if session.isAwaitingAnswer || !(message?.acceptsMore() ?? true) {
            readHeld = true
        } else {
            context.read()
        }
    }

    private func resumeReadingIfPossible() {
        guard readHeld, let context, !session.isAwaitingAnswer, message?.acceptsMore() ?? true else { return }
        readHeld = false
        context.read()
    }

    // MARK: Session

    private func handle(_ event: SMTPSession.Event) {
        guard let context else {
            // The client left while its password was checked: the shared throttle still counts the verdict,
            // or hanging up would be a free guess.
            if case .authenticated = event { session.received(event).forEach(tellAuthThrottle) }
            return
        }
        var next: SMTPSession.Event? = event
        while let event = next {
            for action in session.received(event) { perform(action, context: context) }
            // An answer known at once is taken after the actions that asked for it, never inside their loop.
            next = immediateAnswer
            immediateAnswer = nil
        }
    }

    /// Runs the actions that tell the shared throttle a login's verdict, without a connection to answer on.
    private func tellAuthThrottle(_ action: SMTPSession.Action) {
        switch action {
        case .recordAuthenticationSuccess: recordAuthenticationSuccess()
        case .recordAuthenticationFailure: _ = recordAuthenticationFailure()
        default: break
        }
    }

    /// Tells the shared throttle that the client's address logged in.
    private func recordAuthenticationSuccess() {
        settings.authThrottle?.succeeded(address: session.clientAddress)
    }

    /// Counts a failed login against the client's address in the shared throttle; returns the pause the
    /// address's failures over all sessions and protocols add.
    private func recordAuthenticationFailure() -> TimeAmount {
        settings.authThrottle.map { TimeAmount($0.failed(address: session.clientAddress)) } ?? .zero
    }

    /// An answer from a task: back on the event loop, hand it to the session, write and flush at once.
    private func answer(_ event: SMTPSession.Event) {
        handle(event)
        flushIfNeeded()
        resumeReadingIfPossible()
    }

    private func flushIfNeeded() {
        guard pendingReplies.readableBytes > 0, let context else { return }
        context.writeAndFlush(wrapOutboundOut(takePendingReplies()), promise: nil)
    }

    private func takePendingReplies() -> ByteBuffer {
        defer { pendingReplies = ByteBuffer() }
        return pendingReplies
    }

    private func perform(_ action: SMTPSession.Action, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        switch action {
        case .reply(let reply):
            write(reply, context: context)
        case .startTLS:
            startTLS(context: context)
        case .lookUpRecipient(let address):
            let target = self.target
            // Most recipients are known from memory: their replies then go out with MAIL's and DATA's,
            // in one write, with no thread hop.
            if let mailbox = target.knownMailbox(for: address) {
                immediateAnswer = .recipientLookedUp(mailbox)
                return
            }
            Task {
                do {
                    let mailbox = try await target.mailbox(for: address)
                    loop.execute { bound.value.answer(.recipientLookedUp(mailbox)) }
                } catch {
                    loop.execute { bound.value.answer(.recipientLookupUnavailable) }
                }
            }
        case .checkAuthThrottle:
            checkAuthThrottle(loop: loop)
        case .authenticate(let credentials):
            authenticate(credentials, loop: loop)
        case .recordAuthenticationSuccess:
            recordAuthenticationSuccess()
        case .recordAuthenticationFailure:
            // The address's failures over all sessions and protocols lengthen the session's pause.
            let backOff = recordAuthenticationFailure()
            loop.execute { bound.value.answer(.authenticationFailureRecorded(backOff: backOff)) }
        case .pause(let duration):
            loop.scheduleTask(in: duration) { bound.value.answer(.pauseElapsed) }
        case .beginMessage:
            beginMessage(loop: loop)
        case .messageData(let bytes):
            messageIDScanner.consume(bytes.readableBytesView)
            message?.write(bytes)
        case .deliverMessage(let recipients, let envelope, let origin):
            messageIDScanner.messageEnded()
            acceptedLine = SMTPLogLines.accepted(
                session,
                tls: context.pipeline.syncOperations.tlsVersionName,
                messageID: messageIDScanner.messageID
            )
            messageIDScanner = MessageIDScanner()
            logger.debug(envelope == nil ? "delivering to \(recipients.count) recipient(s)" : "queueing")
            message?.deliver(to: recipients, envelope: envelope, origin: origin)
            message = nil
        case .abortMessage:
            messageIDScanner = MessageIDScanner()
            message?.abort()
            message = nil
        case .close:
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(takePendingReplies()), promise: written)
            written.futureResult.whenComplete { _ in bound.value.context?.close(promise: nil) }
        }
    }

    /// Queues a reply for the read burst's one write; a refusal is logged and counted by its reason.
    private func write(_ reply: SMTPReply, context: ChannelHandlerContext) {
        logger.debug("reply \(reply.code)")
        if reply.code >= 400 {
            let tls = context.pipeline.syncOperations.tlsVersionName
            let line = SMTPLogLines.refused(reply, session: session, tls: tls)
            logger.notice("refused", metadata: line)
            Counter(label: "correo_smtp_refusals_total", dimensions: [("reason", "\(line[LogKey.reason] ?? "")")])
                .increment()
        }
        reply.encode(into: &pendingReplies)
    }

    /// The 220 to STARTTLS is out: TLS goes in front of everything else in the pipeline.
    private func startTLS(context: ChannelHandlerContext) {
        flushIfNeeded()
        guard let tlsContext else { return context.close(promise: nil) }
        do {
            try context.pipeline.syncOperations.addHandler(
                NIOSSLServerHandler(context: tlsContext),
                position: .first
            )
            logger.info("STARTTLS")
        } catch {
            logger.error("cannot start TLS: \(error)")
            context.close(promise: nil)
        }
    }

    /// Asks the shared throttle about the client's address; the session decides what its answer means.
    private func checkAuthThrottle(loop: any EventLoop) {
        let bound = NIOLoopBound(self, eventLoop: loop)
        let address = session.clientAddress
        let refused = settings.authThrottle?.check(address: address) == .refuse
        if refused { logger.notice("AUTH refused: too many failed logins from \(address)") }
        // Answered on the next loop turn, like every other answer: never inside this action's loop.
        loop.execute { bound.value.answer(refused ? .authenticationThrottled : .authenticationAllowed) }
    }

    /// Checks the credentials off the event loop.
    private func authenticate(_ credentials: SMTPCredentials, loop: any EventLoop) {
        let bound = NIOLoopBound(self, eventLoop: loop)
        let authenticator = self.authenticator
        Task {
            let success: Bool
            do {
                success = try await authenticator.authenticate(
                    username: credentials.username,
                    password: credentials.password
                )
            } catch {
                loop.execute {
                    let handler = bound.value
                    handler.logger.error(
                        "AUTH not checked: the users' store failed",
                        metadata: [
                            LogKey.event: "smtp.auth", LogKey.user: "\(credentials.username)",
                            LogKey.error: "\(error)",
                        ]
                    )
                    handler.answer(.authenticationUnavailable)
                }
                return
            }
            loop.execute {
                let handler = bound.value
                handler.logger.notice(
                    "AUTH \(success ? "succeeded" : "failed")",
                    metadata: [
                        LogKey.event: "smtp.auth", LogKey.user: "\(credentials.username)",
                        LogKey.result: "\(success ? "ok" : "failed")",
                    ]
                )
                if !success {
                    Counter(label: "correo_auth_failures_total", dimensions: [("protocol", "smtp")]).increment()
                }
                handler.answer(.authenticated(success))
            }
        }
    }

    /// A message begins: its bytes stream to the delivery target, which answers when it has them.
    private func beginMessage(loop: any EventLoop) {
        let bound = NIOLoopBound(self, eventLoop: loop)
        let executor = loopExecutor ?? EventLoopTaskExecutor(loop)
        loopExecutor = executor
        message = MessageStream(
            target: target,
            unwrittenLimit: settings.unwrittenMessageBytes,
            executor: executor,
            resume: { loop.execute { bound.value.resumeReadingIfPossible() } },
            finished: { outcome in
                loop.execute {
                    let handler = bound.value
                    switch (outcome, handler.acceptedLine) {
                    case (.delivered, var line?), (.queued, var line?):
                        // A queued message is known by its queue id, the one its 250 names.
                        if case .queued(let id) = outcome { line[LogKey.queueID] = "\(id)" }
                        handler.logger.notice("accepted", metadata: line)
                        Counter(label: "correo_smtp_messages_accepted_total").increment()
                    default:
                        handler.logger.info("message not stored: \(outcome)")
                    }
                    handler.acceptedLine = nil
                    bound.value.answer(.messageStored(outcome))
                }
            }
        )
    }

    // MARK: Timeout

    /// Counts the idle time again from now, with one clock read.
    ///
    /// The timer stays: when it fires it looks at `lastProgress` and waits for the rest if the client
    /// moved meanwhile. Moving it at every command and line cost 13,000 instructions a message (callgrind).
    private func restartIdleTimer() {
        guard let context else { return }
        lastProgress = context.eventLoop.now
        if idleTimer == nil { scheduleIdleCheck(at: lastProgress + settings.idleTimeout, context: context) }
    }

    private func scheduleIdleCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            let handler = bound.value
            handler.idleTimer = nil
            handler.idleTimeElapsed()
        }
    }

    private func idleTimeElapsed() {
        guard let context else { return }
        let due = lastProgress + settings.idleTimeout
        if due > context.eventLoop.now { return scheduleIdleCheck(at: due, context: context) }
        // A slow store is not the client's fault: wait for it.
        if session.isAwaitingAnswer { return restartIdleTimer() }
        logger.info("idle timeout")
        answer(.timedOut)
    }
}

import CoreMetrics
import Logging
import MailStore
import NIOCore
import NIOSSL
import ServerSupport

/// The thin SwiftNIO layer: bytes → `IMAPFramer` → `IMAPSession` → actions.
///
/// Actions run one after another; asynchronous ones (credential checks, mailbox commands, the login slowdown) hold back
/// the following ones, so responses always come out in order.
public final class IMAPChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    /// Received octets, as NIO delivers them.
    public typealias InboundIn = ByteBuffer
    /// Written octets.
    public typealias OutboundOut = ByteBuffer

    private var framer: IMAPFramer
    private var session: IMAPSession
    private let executor: any IMAPCommandExecuting
    private let tlsContext: NIOSSLContext?
    private var logger: Logger
    private var events: [IMAPFramer.Event] = []
    private var actions: [IMAPSession.Action] = []
    private var busy = false
    private var closed = false
    /// The IDLE under way: resolved once the executor has begun it.
    private var idling: EventLoopFuture<Void>?
    private var context: ChannelHandlerContext?
    /// The one autologout timer, armed where the session says (`Action.armAutologout`).
    private var autologout: Scheduled<Void>?
    private let literals: LiteralSpool
    /// The connection's byte counts, for the logout line; set by the server that built the pipeline.
    public var meter: ConnectionMeter?
    /// The user logged in, for the logout line.
    private var loggedInUser: String?
    /// The client's address as the shared throttle counts it, kept from the start: a verdict that comes
    /// back after the client hung up still counts against it.
    private var clientAddress = ClientAddress.normalized(nil)

    private let defences: Defences

    /// A handler for one connection, running its commands through `executor`.
    public init(
        configuration: IMAPSessionConfiguration,
        executor: any IMAPCommandExecuting,
        tlsContext: NIOSSLContext?,
        defences: Defences = Defences(),
        logger: Logger
    ) {
        self.defences = defences
        self.framer = IMAPFramer(limits: .init(appendLimit: configuration.appendLimit))
        // The session asks the shared throttle only when this handler has one to run its actions against.
        var configuration = configuration
        configuration.sharesAuthThrottle = defences.authThrottle != nil
        self.session = IMAPSession(
            configuration: configuration,
            autologout: AutologoutTimer(
                loginTimeoutSeconds: defences.loginTimeoutSeconds,
                idleTimeoutSeconds: defences.idleTimeoutSeconds
            )
        )
        self.executor = executor
        self.tlsContext = tlsContext
        self.logger = logger
        self.literals = LiteralSpool(executor: executor, logger: logger)
    }

    /// Sets the session's clock to the channel's event loop.
    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let loop = context.eventLoop
        session.useClock(IMAPClock { loop.now.uptimeNanoseconds })
        literals.written = { [weak self] in self?.updateReading() }
    }

    /// Sends the greeting and starts the login deadline.
    public func channelActive(context: ChannelHandlerContext) {
        logger.debug("connection opened")
        clientAddress = ClientAddress.normalized(context.remoteAddress?.ipAddress)
        session.connectionOpened().forEach(run)
        context.flush()
        context.fireChannelActive()
    }

    /// Drops the connection's pending work: literals, IDLE, the autologout timer, the executor.
    public func channelInactive(context: ChannelHandlerContext) {
        if let user = loggedInUser {
            loggedInUser = nil
            var metadata: Logger.Metadata = [
                LogKey.event: "imap.logout", LogKey.user: "\(user)",
                LogKey.tls: "\(context.pipeline.syncOperations.tlsVersionName)",
            ]
            if let counter = meter {
                metadata[LogKey.bytesIn] = "\(counter.bytesIn)"
                metadata[LogKey.bytesOut] = "\(counter.bytesOut)"
            }
            logger.notice("logout", metadata: metadata)
        }
        shutDown()
        logger.debug("connection closed")
        context.fireChannelInactive()
    }

    /// Frames the octets, runs the commands the rate allows, and cuts off a flood.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        let framed = framer.feed(bytes)
        for event in framed {
            switch event {
            case .streamedLiteralChunk(let id, let chunk): literals.write(id, chunk, loop: context.eventLoop)
            case .streamedLiteralEnd: break
            default: events.append(event)
            }
        }
        // Only whole commands (or literal chunks) count as activity: a client trickling one octet at
        // a time does not hold the connection open.
        if !framed.isEmpty { noteActivity() }
        pump()
        let flood = session.readBurstQueued(events.count)
        if !flood.isEmpty {
            logger.notice("command flood; closing", metadata: ["queued": "\(events.count)"])
            flood.forEach(run)
        }
    }

    /// Stops or resumes reading the socket as `CommandPacing` says, from the backlog now.
    private func updateReading() {
        guard let context, !closed else { return }
        let change = session.backlogChanged(pendingEvents: events.count, unwrittenLiteralBytes: literals.unwrittenBytes)
        switch change {
        case .none: break
        case .stopReading:
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        case .resumeReading:
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            context.read()
        }
    }

    /// Takes a rate-limit token for the next command, or arms the timer that resumes the pump when
    /// one is back.
    private func takeCommandToken() -> Bool {
        guard let context else { return true }
        switch session.takeCommandToken() {
        case .proceed: return true
        case .hold: return false
        case .holdUntilTokenReturns(let nanoseconds):
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .nanoseconds(Int64(clamping: nanoseconds))) {
                let handler = bound.value
                handler.session.commandTokenReturned()
                handler.pump()
            }
            return false
        }
    }

    /// Logs the error and closes the connection.
    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: - Running actions

    /// Feeds framed input to the session and runs the resulting actions until one must wait.
    private func pump() {
        while !busy, !closed {
            if !actions.isEmpty {
                run(actions.removeFirst())
            } else if let next = events.first {
                if next.isCommand, !takeCommandToken() { break }
                let event = events.removeFirst()
                if case .command(let bytes) = event { Self.logCommand(bytes, to: logger) }
                actions.append(contentsOf: session.received(event))
            } else {
                break
            }
        }
        context?.flush()
        updateReading()
    }

    private func run(_ action: IMAPSession.Action) {
        guard let context else { return }
        switch action {
        case .send(let responses):
            write(responses, flush: false)
        case .pause(let milliseconds):
            busy = true
            context.flush()
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(Int64(milliseconds))) {
                bound.value.resume(with: [])
            }
        case .startTLS:
            startTLS(context)
        case .checkAuthThrottle(let username):
            checkAuthThrottle(username: username, context)
        case .verifyCredentials(let username, let password):
            verifyCredentials(username: username, password: password, context)
        case .recordAuthenticationSuccess:
            defences.authThrottle?.succeeded(address: clientAddress)
        case .recordAuthenticationFailure:
            let backOff = defences.authThrottle?.failed(address: clientAddress) ?? .zero
            actions.append(contentsOf: session.authenticationFailureRecorded(backOff: backOff))
        case .execute(let request):
            execute(request, context)
        case .startIdle:
            context.flush()
            let executor = self.executor
            let sink = makeSink()
            idling = context.eventLoop.makeFutureWithTask { await executor.beginIdle(sink: sink) }
        case .stopIdle:
            guard let started = idling else { return }
            idling = nil
            busy = true
            let executor = self.executor
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.makeFutureWithTask { await Self.endIdle(started, on: executor) }
                .whenSuccess { bound.value.resume(with: []) }
        case .armAutologout(let deadline):
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            autologout = context.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(deadline)) {
                bound.value.autologoutFired()
            }
        case .close:
            close()
        }
    }

    private func startTLS(_ context: ChannelHandlerContext) {
        context.flush()
        events.removeAll()
        framer.reset()
        guard let tlsContext else { return close() }
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext), position: .first)
            actions.append(contentsOf: session.tlsEstablished())
        } catch {
            logger.warning("STARTTLS failed", metadata: ["error": "\(error)"])
            close()
        }
    }

    /// Asks the shared throttle about the client's address; the session decides what its answer means.
    private func checkAuthThrottle(username: String, _ context: ChannelHandlerContext) {
        let refused = defences.authThrottle?.check(address: clientAddress) == .refuse
        if refused {
            logger.notice(
                "login refused: too many failed logins",
                metadata: [LogKey.event: "imap.login", LogKey.user: "\(username)", LogKey.result: "refused"]
            )
        }
        actions.append(contentsOf: session.authThrottleChecked(allowed: !refused))
    }

    private func verifyCredentials(username: String, password: String, _ context: ChannelHandlerContext) {
        busy = true
        logger.debug("login attempt", metadata: [LogKey.user: "\(username)"])
        let executor = self.executor
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        loop.makeFutureWithTask {
            try await executor.verify(username: username, password: password)
        }.whenComplete { result in
            let handler = bound.value
            switch result {
            case .success(let ok): handler.verified(ok, username: username)
            case .failure(let error):
                handler.logger.error(
                    "login not checked: the users' store failed",
                    metadata: [LogKey.event: "imap.login", LogKey.user: "\(username)", LogKey.error: "\(error)"]
                )
                handler.resume(with: handler.session.credentialsUnavailable())
            }
        }
    }

    private func verified(_ ok: Bool, username: String) {
        logger.notice(
            ok ? "login" : "login failed",
            metadata: [
                LogKey.event: "imap.login", LogKey.user: "\(username)", LogKey.result: "\(ok ? "ok" : "failed")",
                LogKey.tls: "\(context?.pipeline.syncOperations.tlsVersionName ?? "none")",
            ]
        )
        if !ok { Counter(label: "correo_auth_failures_total", dimensions: [("protocol", "imap")]).increment() }
        if ok {
            logger[metadataKey: LogKey.user] = "\(username)"
            loggedInUser = username
        }
        resume(with: session.credentialsVerified(ok))
    }

    private func execute(_ request: ExecutionRequest, _ context: ChannelHandlerContext) {
        busy = true
        context.flush()
        let executor = self.executor
        let sink = makeSink()
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        var literal = loop.makeSucceededFuture(StreamedLiteralReference?.none)
        let started = ContinuousClock.now
        let timer = Self.commandTimer(request.command.name)
        if case .append(let append) = request.command, let id = append.streamedLiteralID {
            // Wait for the queued writes; a literal whose write failed is not stored (the APPEND gets NO).
            literal = literals.take(id, loop: loop)
        }
        literal.flatMap { reference in
            var withLiteral = request
            withLiteral.streamedLiteral = reference
            let ready = withLiteral
            return Self.start(ready, on: executor, sink: sink, loop: loop)
        }.whenSuccess { outcome in
            timer.recordNanoseconds(Int64(started.duration(to: .now).nanoseconds))
            // Never inside the action that started the command (it may have finished at once): the
            // session takes the outcome on the loop's next turn.
            loop.execute {
                let handler = bound.value
                handler.resume(with: handler.session.completed(outcome))
            }
        }
    }

    private func resume(with newActions: [IMAPSession.Action]) {
        busy = false
        guard !closed else {
            // The client left while its password was checked: the shared throttle still counts the verdict,
            // or hanging up would be a free guess.
            newActions.filter(\.reportsToAuthThrottle).forEach(run)
            return
        }
        actions.append(contentsOf: newActions)
        pump()
    }

    /// A sink that writes on the event loop and waits until the bytes reach the socket, so a slow
    /// reader slows the command down instead of filling memory.
    private func makeSink() -> ResponseSink {
        guard let context else { return ResponseSink { _ in } }
        let channel = context.channel
        return ResponseSink(channel: channel) { responses in
            var buffer = channel.allocator.buffer(capacity: 0)
            buffer.writeBytes(IMAPResponseEncoder.encode(responses))
            try? await channel.writeAndFlush(buffer)
        }
    }

    private func write(_ responses: [IMAPResponse], flush: Bool) {
        guard let context, !responses.isEmpty else { return }
        var buffer = context.channel.allocator.buffer(capacity: 256)
        buffer.writeBytes(IMAPResponseEncoder.encode(responses))
        context.write(wrapOutboundOut(buffer), promise: nil)
        if flush { context.flush() }
    }

    private func close() {
        guard !closed, let context else { return }
        closed = true
        context.flush()
        context.close(promise: nil)
        shutDown()
    }

    private func shutDown() {
        literals.abandonAll()
        closed = true
        autologout?.cancel()
        let executor = self.executor
        let started = idling
        idling = nil
        Task {
            await IMAPChannelHandler.endIdle(started, on: executor)
            await executor.close()
        }
    }

    // MARK: - Autologout (the rules are the session's)

    /// A command arrived: the session notes the activity.
    ///
    /// Its actions run at once, not behind a running command.
    private func noteActivity() {
        session.noteActivity().forEach(run)
    }

    private func autologoutFired() {
        guard !closed else { return }
        autologout = nil
        session.autologoutTimerFired().forEach(run)
        context?.flush()
    }
}

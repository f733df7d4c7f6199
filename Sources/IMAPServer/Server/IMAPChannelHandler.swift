import Dispatch
import Logging
import MailStore
import NIOCore
import NIOSSL
import ServerSupport
import Synchronization

/// The thin SwiftNIO layer: bytes → `IMAPFramer` → `IMAPSession` → actions. Actions run one after
/// another; asynchronous ones (credential checks, mailbox commands, the login slowdown) hold back the
/// following ones, so responses always come out in order.
public final class IMAPChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
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
    private var idleTask: Task<Void, Never>?
    private var context: ChannelHandlerContext?
    private var autologout: Scheduled<Void>?
    /// When the client last sent something; the autologout timer checks it when it fires.
    private var lastActivity = NIODeadline.now()
    private var literals: [UInt32: LiteralFile] = [:]
    private let literalQueue = DispatchQueue(label: "correo.imap.literal")
    private var rateLimiter: CommandRateLimiter?
    /// A command waits for a rate-limit token; a timer resumes the pump when it comes back.
    private var throttled = false

    /// Connection-level defences the server shares between sessions or sets from the command line.
    public struct Defences: Sendable {
        /// Autologout before login, counted from the connection's start (not restarted by commands).
        public var loginTimeoutSeconds: Int
        /// Autologout once logged in, restarted by each command (RFC 3501 5.4).
        public var idleTimeoutSeconds: Int
        /// Failed logins per client address, shared with the other listeners; nil counts per session only.
        public var authThrottle: AuthThrottle?

        public init(
            loginTimeoutSeconds: Int = IMAPDefaults.unauthenticatedTimeoutSeconds,
            idleTimeoutSeconds: Int = IMAPDefaults.idleTimeoutSeconds,
            authThrottle: AuthThrottle? = nil
        ) {
            self.loginTimeoutSeconds = loginTimeoutSeconds
            self.idleTimeoutSeconds = idleTimeoutSeconds
            self.authThrottle = authThrottle
        }
    }

    private let defences: Defences

    public init(
        configuration: IMAPSessionConfiguration,
        executor: any IMAPCommandExecuting,
        tlsContext: NIOSSLContext?,
        defences: Defences = Defences(),
        logger: Logger
    ) {
        self.defences = defences
        self.framer = IMAPFramer(limits: .init(appendLimit: configuration.appendLimit))
        self.session = IMAPSession(configuration: configuration)
        self.executor = executor
        self.tlsContext = tlsContext
        self.logger = logger
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        rateLimiter = .imapDefault(now: context.eventLoop.now.uptimeNanoseconds)
    }

    public func channelActive(context: ChannelHandlerContext) {
        logger.debug("connection opened", metadata: ["remote": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
        write([session.greeting], flush: true)
        armAutologout()
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        shutDown()
        logger.debug("connection closed")
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        let framed = framer.feed(bytes)
        for event in framed {
            switch event {
            case .streamedLiteralChunk(let id, let chunk): streamLiteral(id, chunk)
            case .streamedLiteralEnd: break
            default: events.append(event)
            }
        }
        // Only whole commands (or literal chunks) count as activity: a client trickling one octet at
        // a time does not hold the connection open.
        if !framed.isEmpty { armAutologout() }
        pump()
        if throttled, events.count > IMAPDefaults.maxQueuedCommands {
            logger.notice("command flood; closing", metadata: ["queued": "\(events.count)"])
            events.removeAll()
            write([.untagged(.condition(.bye, nil, "Too many commands"))], flush: true)
            close()
        }
    }

    /// Framed commands waiting while an earlier one runs, before the handler stops reading the socket.
    static let maxPendingEvents = 64
    /// Octets of streamed APPEND literals handed to the file queue and not yet written.
    private var unwrittenLiteralBytes = 0
    private var readingEnabled = true

    /// Backpressure, the one answer to both a client pipelining faster than commands complete and one
    /// over the command rate (`IMAPDefaults.commandBurst`, `commandsPerSecond`): the handler stops
    /// reading the socket (autoRead off) while a command waits for a rate-limit token or more than
    /// `maxPendingEvents` are queued, and reads again once the token is back and the queue has half
    /// drained. Slowing reads rather than answering NO/BAD means a fast client is never failed: TCP
    /// flow control makes it wait, and its commands run in order at the sustained rate. Only input
    /// already read in one burst can pile up behind the limit; past `IMAPDefaults.maxQueuedCommands`
    /// of that, the client is flooding and gets `* BYE`.
    private func updateReading() {
        guard let context, !closed else { return }
        let literalBacklog = IMAPDefaults.unwrittenAppendBytes
        let behind = throttled || events.count > Self.maxPendingEvents || unwrittenLiteralBytes > literalBacklog
        if readingEnabled, behind {
            readingEnabled = false
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        } else if !readingEnabled, !throttled, events.count <= Self.maxPendingEvents / 2,
            unwrittenLiteralBytes <= literalBacklog / 2
        {
            readingEnabled = true
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            context.read()
        }
    }

    /// Takes a rate-limit token for the next command, or arms the timer that resumes the pump when
    /// one is back.
    private func takeCommandToken() -> Bool {
        guard !throttled else { return false }
        guard let context, var limiter = rateLimiter else { return true }
        let decision = limiter.take(now: context.eventLoop.now.uptimeNanoseconds)
        rateLimiter = limiter
        guard case .wait(let nanoseconds) = decision else { return true }
        throttled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .nanoseconds(Int64(clamping: nanoseconds))) {
            let handler = bound.value
            handler.throttled = false
            handler.pump()
        }
        return false
    }

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
                if case .command(let bytes) = event { logCommand(bytes) }
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
            context.flush()
            events.removeAll()
            framer.reset()
            guard let tlsContext else { return close() }
            do {
                try context.pipeline.syncOperations.addHandler(
                    NIOSSLServerHandler(context: tlsContext),
                    position: .first
                )
                actions.append(contentsOf: session.tlsEstablished())
            } catch {
                logger.warning("STARTTLS failed", metadata: ["error": "\(error)"])
                close()
            }
        case .verifyCredentials(let username, let password):
            busy = true
            logger.info("login attempt", metadata: ["user": "\(username)"])
            let throttle = defences.authThrottle
            let address = context.remoteAddress?.ipAddress ?? "unknown"
            if throttle?.check(address: address) == .refuse {
                logger.notice("login refused: too many failed logins", metadata: ["remote": "\(address)"])
                write([.untagged(.condition(.bye, nil, "Too many failed logins; try later"))], flush: true)
                return close()
            }
            let executor = self.executor
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            let loop = context.eventLoop
            loop.makeFutureWithTask {
                await executor.verify(username: username, password: password)
            }.whenSuccess { ok in
                let handler = bound.value
                handler.logger.info(ok ? "login succeeded" : "login failed", metadata: ["user": "\(username)"])
                if ok { handler.logger[metadataKey: "user"] = "\(username)" }
                guard let throttle else { return handler.credentialsChecked(handler.session.credentialsVerified(ok)) }
                if ok {
                    throttle.succeeded(address: address)
                    return handler.credentialsChecked(handler.session.credentialsVerified(ok))
                }
                // Per address over all sessions and protocols, on top of the session's own pause.
                loop.scheduleTask(in: TimeAmount(throttle.failed(address: address))) {
                    let handler = bound.value
                    handler.resume(with: handler.session.credentialsVerified(false))
                }
            }
        case .execute(var request):
            busy = true
            context.flush()
            let executor = self.executor
            let sink = makeSink()
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            var literal = context.eventLoop.makeSucceededFuture(StreamedLiteralReference?.none)
            if case .append(let append) = request.command, let id = append.streamedLiteralID {
                // Wait for the queued writes; a literal whose write failed is not stored (the APPEND gets NO).
                let file = takeLiteral(id)
                let promise = context.eventLoop.makePromise(of: StreamedLiteralReference?.self)
                literalQueue.async {
                    if let file, let stored = file.literal, !file.failed.withLock({ $0 }) {
                        promise.succeed(StreamedLiteralReference(stored))
                    } else {
                        file?.literal?.abandon()
                        promise.succeed(nil)
                    }
                }
                literal = promise.futureResult
            }
            let loop = context.eventLoop
            literal.flatMap { reference in
                var ready = request
                ready.streamedLiteral = reference
                return loop.makeFutureWithTask { await executor.execute(ready, sink: sink) }
            }.whenSuccess { outcome in
                let handler = bound.value
                handler.resume(with: handler.session.completed(outcome))
            }
        case .startIdle:
            context.flush()
            let executor = self.executor
            let sink = makeSink()
            idleTask = Task { await executor.idle(sink: sink) }
        case .stopIdle:
            guard let task = idleTask else { return }
            idleTask = nil
            task.cancel()
            busy = true
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.makeFutureWithTask { await task.value }.whenSuccess {
                bound.value.resume(with: [])
            }
        case .close:
            close()
        }
    }

    /// The answer to a credential check: once logged in, the idle autologout replaces the login deadline.
    private func credentialsChecked(_ newActions: [IMAPSession.Action]) {
        if session.state != .notAuthenticated { armAutologout() }
        resume(with: newActions)
    }

    private func resume(with newActions: [IMAPSession.Action]) {
        busy = false
        actions.append(contentsOf: newActions)
        pump()
    }

    /// A sink that writes on the event loop and waits until the bytes reach the socket, so a slow
    /// reader slows the command down instead of filling memory.
    private func makeSink() -> ResponseSink {
        guard let context else { return ResponseSink { _ in } }
        let channel = context.channel
        return ResponseSink { responses in
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

    // MARK: - Streamed APPEND literals

    /// Writes a chunk of a large APPEND literal to its file, in order, off the event loop.
    private func streamLiteral(_ id: UInt32, _ chunk: [UInt8]) {
        if literals[id] == nil {
            do {
                literals[id] = LiteralFile(literal: try executor.makeStreamedLiteral())
            } catch {
                logger.warning("cannot store APPEND literal", metadata: ["error": "\(error)"])
                literals[id] = LiteralFile(literal: nil)
            }
        }
        guard let file = literals[id], let literal = file.literal, let context else { return }
        // Counted until written: when the disk is slower than the network, reading stops (updateReading)
        // instead of the chunks piling up in memory.
        unwrittenLiteralBytes += chunk.count
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        literalQueue.async {
            if !file.failed.withLock({ $0 }) {
                do {
                    try literal.write(chunk)
                } catch {
                    file.failed.withLock { $0 = true }
                }
            }
            loop.execute {
                let handler = bound.value
                handler.unwrittenLiteralBytes -= chunk.count
                handler.updateReading()
            }
        }
    }

    /// The complete literal for an APPEND about to run; older ones belonged to refused commands.
    private func takeLiteral(_ id: UInt32) -> LiteralFile? {
        for stale in literals.keys where stale < id { literals.removeValue(forKey: stale)?.abandon(on: literalQueue) }
        return literals.removeValue(forKey: id)
    }

    private func shutDown() {
        for file in literals.values { file.abandon(on: literalQueue) }
        literals.removeAll()
        closed = true
        autologout?.cancel()
        idleTask?.cancel()
        idleTask = nil
        let executor = self.executor
        Task { await executor.close() }
    }

    /// RFC 3501 §5.4 autologout: 30 minutes of silence once logged in (an IDLE client re-issues IDLE
    /// before then, RFC 2177), much less before login.
    ///
    /// Each read only notes the time: cancelling a scheduled task costs NIO a search through every
    /// timer of the event loop, which with thousands of connections made each read O(connections).
    /// The one timer, when it fires, re-arms itself for whatever is left of the allowed silence.
    private func armAutologout() {
        guard let context else { return }
        // Before login the timer is a deadline from the connection's start, so a client that never
        // logs in cannot stay by sending NOOPs; a successful login moves it on.
        if session.state == .notAuthenticated, autologout != nil { return }
        lastActivity = context.eventLoop.now
        if autologout == nil { scheduleAutologout(at: lastActivity + autologoutTimeout) }
    }

    private var autologoutTimeout: TimeAmount {
        .seconds(
            Int64(
                session.state == .notAuthenticated ? defences.loginTimeoutSeconds : defences.idleTimeoutSeconds
            )
        )
    }

    private func scheduleAutologout(at deadline: NIODeadline) {
        guard let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        autologout = context.eventLoop.scheduleTask(deadline: deadline) {
            bound.value.autologoutFired()
        }
    }

    private func autologoutFired() {
        guard !closed, let context else { return }
        autologout = nil
        let deadline = lastActivity + autologoutTimeout
        if deadline > context.eventLoop.now { return scheduleAutologout(at: deadline) }
        write([.untagged(.condition(.bye, nil, "Autologout; idle for too long"))], flush: true)
        close()
    }

    /// Logs the command name only: arguments may hold passwords (LOGIN) or message bodies (APPEND).
    private func logCommand(_ bytes: [UInt8]) {
        guard logger.logLevel <= .debug else { return }
        let words = bytes.prefix(64).split(separator: .space, maxSplits: 3)
        let name = words.count > 1 ? String(decoding: words[1].prefix(16), as: UTF8.self) : "?"
        logger.debug("command", metadata: ["name": "\(name.uppercased())"])
    }
}

extension IMAPFramer.Event {
    /// A command line or one the framer refused: either costs a rate-limit token, so a flood of junk
    /// is slowed like a flood of NOOPs. Literal chunks belong to a command already counted.
    fileprivate var isCommand: Bool {
        switch self {
        case .command, .error: true
        default: false
        }
    }
}

/// A streamed literal's file and whether a write to it failed.
private final class LiteralFile: Sendable {
    let literal: (any StreamedLiteral)?
    let failed = Mutex(false)
    init(literal: (any StreamedLiteral)?) { self.literal = literal }

    func abandon(on queue: DispatchQueue) {
        guard let literal else { return }
        queue.async { literal.abandon() }
    }
}

import Foundation
import Logging
import NIOCore
import NIOSSL
import ServerSupport

/// The thin NIO side of an NNTP connection: frames lines, feeds them to the `NNTPSession`, writes what
/// it answers, runs its store requests, starts TLS, and ends idle connections.
public final class NNTPChannelHandler: ChannelInboundHandler {
    /// Octets from the client.
    public typealias InboundIn = ByteBuffer
    /// Responses.
    public typealias OutboundOut = ByteBuffer

    private var session: NNTPSession
    private let store: any NNTPNewsStore
    private let tlsContext: NIOSSLContext?
    private let idleTimeout: Duration
    private var logger: Logger
    private var buffer: [UInt8] = []
    private var context: ChannelHandlerContext?
    private var idleTimer: Scheduled<Void>?
    private var lastActivity = NIODeadline.now()
    private var closed = false
    /// A store request is being answered: the client waits for us, so it is not idle.
    private var inFlight = false
    /// `feedLines` is running (it is not re-entered).
    private var feeding = false
    /// Whether the socket is read (autoRead); off while a pipeline window of input waits.
    private var reading = true
    /// Counts the connection's octets for the session's last log line (set by the server).
    public var meter: ConnectionMeter?
    /// The user of the AUTHINFO or AUTHINFO SASL under way, for its log line.
    private var loginUser: String?
    /// The user logged in, if any.
    private var loggedInUser: String?

    /// A handler for one connection.
    public init(
        configuration: NNTPSessionConfiguration,
        store: any NNTPNewsStore,
        tlsContext: NIOSSLContext?,
        idleTimeout: Duration = NNTPDefaults.idleTimeout,
        logger: Logger
    ) {
        session = NNTPSession(configuration: configuration)
        self.store = store
        self.tlsContext = tlsContext
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    /// Keeps the context for writes that come later; starts the session if the channel is already active.
    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    /// Starts the session (greeting and idle timer) once the connection is up.
    public func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private var started = false

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        logger.info("connected", metadata: [LogKey.event: "nntp.connect"])
        armIdleTimer()
        perform(session.received(.connected, now: Date()))
        context.flush()
    }

    /// Buffers the octets and hands the session the complete lines it may take now.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        var bytes = unwrapInboundIn(data)
        buffer += bytes.readBytes(length: bytes.readableBytes) ?? []
        armIdleTimer()
        feedLines()
    }

    /// Reads on once the client has taken its answers: waiting lines go to the session again.
    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        feedLines()
        context.flush()
        context.fireChannelWritabilityChanged()
    }

    /// Hands the session the complete lines received, one at a time, but none while it waits for the
    /// store or while the client is not reading its answers: pipelined commands (RFC 3977 §3.5) wait
    /// here, in order, and are never refused for their number.
    ///
    /// While more than `NNTPDefaults.pipelineWindowBytes` wait, reading from the socket stops, so a client that sends
    /// thousands of commands at once is slowed to the server's pace instead of filling its memory.
    private func feedLines() {
        // A write that fills the channel's buffer, and the flush after it, call back in
        // (channelWritabilityChanged) while an answer given at once is being written: the loop below
        // looks at the channel's writability before every line, so the inner call has nothing to do
        // and must not take lines the outer one has already handed on.
        guard let context, !feeding else { return }
        feeding = true
        defer { feeding = false }
        var start = 0
        while !closed, !session.isAwaitingReply, context.channel.isWritable,
            let end = buffer[start...].firstIndex(of: 0x0A)
        {
            var line = Array(buffer[start..<end])
            if line.last == 0x0D { line.removeLast() }
            start = end + 1
            if perform(session.received(.line(line), now: Date())) {
                // STARTTLS: what the client sent after it, before the handshake, is dropped (RFC 4642 §2.2.2).
                buffer = []
                return
            }
        }
        buffer.removeFirst(start)
        guard !closed else { return }
        // Only the unterminated tail is a line still arriving; complete lines may be waiting their turn.
        let tail = buffer.count - (buffer.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0)
        if tail > NNTPDefaults.maximumArticleLineBytes {
            write(NNTPResponse.status(400, "Line too long"))
            return close()
        }
        // Complete lines waiting their turn count against the window; a line still arriving is read on
        // until it ends or is too long.
        let read = buffer.count - tail < NNTPDefaults.pipelineWindowBytes
        if read != reading {
            reading = read
            context.channel.setOption(ChannelOptions.autoRead, value: read).whenFailure { _ in }
        }
    }

    /// Flushes what the lines of this read produced: one write to the socket per read, not per line.
    public func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    /// Logs the session's end: `nntp.logout` after a login (a notice, like IMAP's), else
    /// `nntp.disconnect`; with the user, the TLS version and the octets each way.
    public func channelInactive(context: ChannelHandlerContext) {
        closed = true
        idleTimer?.cancel()
        var metadata: Logger.Metadata = [
            LogKey.event: "\(loggedInUser == nil ? "nntp.disconnect" : "nntp.logout")",
            LogKey.tls: "\(context.pipeline.syncOperations.tlsVersionName)",
        ]
        if let meter {
            metadata[LogKey.bytesIn] = "\(meter.bytesIn)"
            metadata[LogKey.bytesOut] = "\(meter.bytesOut)"
        }
        if loggedInUser != nil {
            logger.notice("logout", metadata: metadata)
        } else {
            logger.info("disconnected", metadata: metadata)
        }
        context.fireChannelInactive()
    }

    /// Closes the connection; the error is logged at debug only (a client that goes away mid-session is ordinary).
    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        close()
    }

    /// Carries out actions; returns true when TLS was started (the rest of the input is dropped).
    ///
    /// A request the store answers at once (an article by number) is answered here, on the event loop,
    /// and the session's next actions join the list: no task and no thread hop per command.
    @discardableResult
    private func perform(_ actions: [NNTPSession.Action]) -> Bool {
        var startedTLS = false
        var actions = actions
        var index = 0
        while index < actions.count {
            let action = actions[index]
            index += 1
            switch action {
            case .send(let bytes): write(bytes)
            case .request(let request):
                guard let reply = store.answerAtOnce(request) else {
                    run(request)
                    continue
                }
                actions += session.received(.reply(reply), now: Date())
            case .startTLS:
                startedTLS = true
                startTLS()
            case .close: close()
            case .pause(let duration): pause(duration)
            }
        }
        return startedTLS
    }

    /// Waits as the session asked (a failed login's back-off), then lets it go on.
    ///
    /// The session answers and takes the lines that waited; the client is waiting for us meanwhile, so
    /// the connection is not idle.
    private func pause(_ duration: Duration) {
        guard let context else { return }
        inFlight = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: TimeAmount(duration)) {
            let handler = bound.value
            handler.inFlight = false
            guard !handler.closed else { return }
            handler.armIdleTimer()
            handler.perform(handler.session.received(.resumed, now: Date()))
            handler.feedLines()
            handler.context?.flush()
        }
    }

    private func run(_ request: NNTPRequest) {
        guard let context else { return }
        if case .authenticate(let user, _) = request {
            loginUser = user
            logger.debug("login attempt", metadata: [LogKey.user: "\(user)"])
        }
        let store = self.store
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        inFlight = true
        context.eventLoop.makeFutureWithTask {
            await store.answer(request, clientAddress: address)
        }.whenSuccess { reply in
            let handler = bound.value
            handler.inFlight = false
            guard !handler.closed else { return }
            handler.armIdleTimer()
            switch reply {
            case .authenticated(let ok): handler.loggedIn(ok)
            case .loginRefused, .loginThrottled: handler.loggedIn(false)
            default: break
            }
            handler.perform(handler.session.received(.reply(reply), now: Date()))
            handler.feedLines()
            handler.context?.flush()
        }
    }

    /// The `nntp.login` line (never the password); after a success the user is on every later line.
    private func loggedIn(_ ok: Bool) {
        let user = loginUser ?? ""
        loginUser = nil
        logger.notice(
            ok ? "login" : "login failed",
            metadata: [
                LogKey.event: "nntp.login", LogKey.user: "\(user)", LogKey.result: "\(ok ? "ok" : "failed")",
                LogKey.tls: "\(context?.pipeline.syncOperations.tlsVersionName ?? "none")",
            ]
        )
        if ok {
            loggedInUser = user
            logger[metadataKey: LogKey.user] = "\(user)"
        }
    }

    private func startTLS() {
        guard let context else { return }
        context.flush()
        guard let tlsContext else { return close() }
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext), position: .first)
        } catch {
            logger.warning("STARTTLS failed", metadata: ["error": "\(error)"])
            close()
        }
    }

    private func write(_ bytes: [UInt8]) {
        guard let context, !closed else { return }
        var out = context.channel.allocator.buffer(capacity: bytes.count)
        out.writeBytes(bytes)
        context.write(wrapOutboundOut(out), promise: nil)
    }

    private func close() {
        guard !closed, let context else { return }
        closed = true
        idleTimer?.cancel()
        context.flush()
        context.close(promise: nil)
    }

    /// Notes activity: the connection is idle `idleTimeout` after the last.
    ///
    /// One timer at a time, moved on only when it fires early: cancelling and scheduling a task on every
    /// read was ~4% of the server's time for one-at-a-time ARTICLE.
    private func armIdleTimer() {
        guard let context else { return }
        lastActivity = .now()
        if idleTimer == nil { scheduleIdleCheck(context, at: lastActivity + TimeAmount(idleTimeout)) }
    }

    private func scheduleIdleCheck(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            let handler = bound.value
            handler.idleTimer = nil
            guard !handler.closed else { return }
            guard !handler.inFlight else { return handler.armIdleTimer() }
            let due = handler.lastActivity + TimeAmount(handler.idleTimeout)
            if due > .now(), let context = handler.context { return handler.scheduleIdleCheck(context, at: due) }
            handler.write(NNTPResponse.status(400, "Idle timeout, closing connection"))
            handler.close()
        }
    }
}

@available(*, unavailable)
extension NNTPChannelHandler: Sendable {}

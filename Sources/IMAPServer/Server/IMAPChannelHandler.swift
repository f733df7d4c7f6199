import Logging
import NIOCore
import NIOSSL

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

    public init(
        configuration: IMAPSessionConfiguration, executor: any IMAPCommandExecuting, tlsContext: NIOSSLContext?,
        logger: Logger
    ) {
        self.framer = IMAPFramer(limits: .init(appendLimit: configuration.appendLimit))
        self.session = IMAPSession(configuration: configuration)
        self.executor = executor
        self.tlsContext = tlsContext
        self.logger = logger
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
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
        events.append(contentsOf: framer.feed(bytes))
        armAutologout()
        pump()
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
            } else if !events.isEmpty {
                let event = events.removeFirst()
                if case .command(let bytes) = event { logCommand(bytes) }
                actions.append(contentsOf: session.received(event))
            } else {
                break
            }
        }
        context?.flush()
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
                try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext), position: .first)
                actions.append(contentsOf: session.tlsEstablished())
            } catch {
                logger.warning("STARTTLS failed", metadata: ["error": "\(error)"])
                close()
            }
        case .verifyCredentials(let username, let password):
            busy = true
            logger.info("login attempt", metadata: ["user": "\(username)"])
            let executor = self.executor
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.makeFutureWithTask {
                await executor.verify(username: username, password: password)
            }.whenSuccess { ok in
                let handler = bound.value
                handler.logger.info(ok ? "login succeeded" : "login failed", metadata: ["user": "\(username)"])
                if ok { handler.logger[metadataKey: "user"] = "\(username)" }
                handler.resume(with: handler.session.credentialsVerified(ok))
            }
        case .execute(let request):
            busy = true
            context.flush()
            let executor = self.executor
            let sink = makeSink()
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.makeFutureWithTask {
                await executor.execute(request, sink: sink)
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

    private func shutDown() {
        closed = true
        autologout?.cancel()
        idleTask?.cancel()
        idleTask = nil
        let executor = self.executor
        Task { await executor.close() }
    }

    /// RFC 3501 §5.4 autologout: 30 minutes of silence once logged in (an IDLE client re-issues IDLE
    /// before then, RFC 2177), much less before login.
    private func armAutologout() {
        guard let context else { return }
        autologout?.cancel()
        let seconds = session.state == .notAuthenticated
            ? IMAPDefaults.unauthenticatedTimeoutSeconds : IMAPDefaults.idleTimeoutSeconds
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        autologout = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
            let handler = bound.value
            handler.write([.untagged(.condition(.bye, nil, "Autologout; idle for too long"))], flush: true)
            handler.close()
        }
    }

    /// Logs the command name only: arguments may hold passwords (LOGIN) or message bodies (APPEND).
    private func logCommand(_ bytes: [UInt8]) {
        guard logger.logLevel <= .debug else { return }
        let words = bytes.prefix(64).split(separator: .space, maxSplits: 3)
        let name = words.count > 1 ? String(decoding: words[1].prefix(16), as: UTF8.self) : "?"
        logger.debug("command", metadata: ["name": "\(name.uppercased())"])
    }
}

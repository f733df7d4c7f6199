import Foundation
import Logging
import NIOCore
import NIOSSL

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
    private var closed = false
    /// A store request is being answered: the client waits for us, so it is not idle.
    private var inFlight = false

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

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private var started = false

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        armIdleTimer()
        perform(session.received(.connected, now: Date()))
        context.flush()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        var bytes = unwrapInboundIn(data)
        buffer += bytes.readBytes(length: bytes.readableBytes) ?? []
        armIdleTimer()
        var start = 0
        while !closed, let end = buffer[start...].firstIndex(of: 0x0A) {
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
        if buffer.count > NNTPDefaults.maximumArticleLineBytes {
            write(NNTPResponse.status(400, "Line too long"))
            close()
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        closed = true
        idleTimer?.cancel()
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        close()
    }

    /// Carries out actions; returns true when TLS was started (the rest of the input is dropped).
    @discardableResult
    private func perform(_ actions: [NNTPSession.Action]) -> Bool {
        var startedTLS = false
        for action in actions {
            switch action {
            case .send(let bytes): write(bytes)
            case .request(let request): run(request)
            case .startTLS:
                startedTLS = true
                startTLS()
            case .close: close()
            }
        }
        return startedTLS
    }

    private func run(_ request: NNTPRequest) {
        guard let context else { return }
        if case .authenticate(let user, _) = request { logger.info("login attempt", metadata: ["user": "\(user)"]) }
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
            if case .authenticated(let ok) = reply {
                handler.logger.info(ok ? "login succeeded" : "login failed")
            }
            handler.perform(handler.session.received(.reply(reply), now: Date()))
            handler.context?.flush()
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

    private func armIdleTimer() {
        guard let context else { return }
        idleTimer?.cancel()
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: TimeAmount(idleTimeout)) {
            let handler = bound.value
            guard !handler.inFlight else { return handler.armIdleTimer() }
            handler.write(NNTPResponse.status(400, "Idle timeout, closing connection"))
            handler.close()
        }
    }
}

@available(*, unavailable)
extension NNTPChannelHandler: Sendable {}

import Logging
import NIOCore
import NIOSSL
import SMTPCore

/// The thin NIO side of the client, bound to the channel's event loop.
///
/// Frames reply lines, feeds the state machine, carries out its actions, runs the reply timeouts and queues the
/// messages handed to it. Loop-bound: every method runs on the channel's event loop.
final class SMTPClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A message to send or the end of the session, with the promise that reports its outcome.
    enum Request {
        case send(SMTPClientStateMachine.Envelope, EventLoopPromise<SendResult>)
        case quit(EventLoopPromise<Void>)
    }

    private var machine: SMTPClientStateMachine
    private let startTLSContext: NIOSSLContext?
    private let serverHostname: String?
    /// Sees the certificate checks of this connection's TLS handshake (STARTTLS or implicit).
    private let verification: CertificateVerificationWatch
    private let commandTimeout: TimeAmount
    private let dataTimeout: TimeAmount
    private let logger: Logger
    private let useAddressLiteral: Bool

    private var context: ChannelHandlerContext?
    private var framer = SMTPLineFramer(maximumLineLength: SMTPClientDefaults.maximumReplyLineLength)
    private var parser = SMTPReplyParser()
    private var linesInReply = 0
    private var timeoutTask: Scheduled<Void>?
    let readyPromise: EventLoopPromise<SMTPExtensions>
    private var readyReported = false
    private var queue = CircularBuffer<Request>()
    private var current: Request?
    private var terminalError: SMTPClientError?

    init(
        configuration: SMTPClientStateMachine.Configuration,
        useAddressLiteral: Bool,
        startTLSContext: NIOSSLContext?,
        serverHostname: String?,
        verification: CertificateVerificationWatch = CertificateVerificationWatch(),
        commandTimeout: TimeAmount,
        dataTimeout: TimeAmount,
        readyPromise: EventLoopPromise<SMTPExtensions>,
        logger: Logger
    ) {
        self.verification = verification
        self.machine = SMTPClientStateMachine(configuration: configuration)
        self.useAddressLiteral = useAddressLiteral
        self.startTLSContext = startTLSContext
        self.serverHostname = serverHostname
        self.commandTimeout = commandTimeout
        self.dataTimeout = dataTimeout
        self.readyPromise = readyPromise
        self.logger = logger
    }

    /// Completes when the session is ready for messages, or fails with the reason it never will be.
    var ready: EventLoopFuture<SMTPExtensions> { readyPromise.futureResult }

    /// Whether the session runs over TLS (implicit, or after STARTTLS).
    var isTLSActive: Bool { machine.isTLSActive }

    /// Queues a request; it runs when the ones before it are done.
    func enqueue(_ request: Request) {
        if machine.isClosed || terminalError != nil {
            reject(request, with: terminalError ?? .connectionUnusable)
            return
        }
        guard queue.count < SMTPClientDefaults.maximumQueuedRequests else {
            reject(request, with: .connectionUnusable)
            return
        }
        queue.append(request)
        pump()
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        if useAddressLiteral { machine.useLocalHostname(SMTPClient.addressLiteral(context.channel.localAddress)) }
        armTimeout(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        framer.append(unwrapInboundIn(data))
        while terminalError == nil, let frame = framer.nextLine() {
            guard case .line(let line) = frame else {
                fail(
                    .malformedReply("a reply line is longer than \(framer.maximumLineLength) octets"),
                    context: context
                )
                return
            }
            linesInReply += 1
            guard linesInReply <= SMTPClientDefaults.maximumReplyLines else {
                fail(
                    .malformedReply("a reply has more than \(SMTPClientDefaults.maximumReplyLines) lines"),
                    context: context
                )
                return
            }
            let reply: SMTPReply?
            do {
                reply = try parser.parse(line: line.readableBytesView)
            } catch {
                fail(.malformedReply(error.description), context: context)
                return
            }
            guard let reply else { continue }
            linesInReply = 0
            logger.trace("S: \(reply)")
            perform(machine.receivedReply(reply), context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if TLSFailure.isTLSError(error) {
            fail(.tlsHandshakeFailed(TLSFailure(error, verification: verification.failure)), context: context)
        } else if let error = error as? IOError {
            fail(.connectionFailed(ConnectFailure.systemMessage(error.errnoCode)), context: context)
        } else {
            fail(.connectionFailed(String(describing: error)), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        if case .quit(let promise) = current {
            current = nil
            promise.succeed()
        }
        failEverything(terminalError ?? .connectionClosed)
        context.fireChannelInactive()
    }

    // MARK: - Actions

    private func perform(_ action: SMTPClientStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .write(let commands):
            var buffer = context.channel.allocator.buffer(capacity: 64 * commands.count)
            for command in commands {
                logger.trace("C: \(command.redactedForLog)")
                command.encode(into: &buffer)
            }
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        case .writeSASLResponse(let response):
            logger.trace("C: <SASL response>")
            var buffer = context.channel.allocator.buffer(capacity: response.utf8.count + 2)
            buffer.writeString(response)
            buffer.writeStaticString("\r\n")
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        case .writeMessage(let message):
            logger.trace("C: <message, \(message.readableBytes) octets>")
            context.writeAndFlush(wrapOutboundOut(message), promise: nil)
        case .startTLS:
            startTLS(context: context)
        case .sessionReady(let capabilities):
            readyReported = true
            readyPromise.succeed(capabilities)
        case .sendCompleted(let result):
            if case .send(_, let promise) = current {
                current = nil
                promise.succeed(result)
            }
        case .sendFailed(let error):
            if case .send(_, let promise) = current {
                current = nil
                promise.fail(error)
            }
        case .fail(let error):
            fail(error, context: context)
            return
        case .close:
            timeoutTask?.cancel()
            context.close(promise: nil)
            return
        }
        armTimeout(context: context)
        pump()
    }

    private func startTLS(context: ChannelHandlerContext) {
        // RFC 3207 §6: bytes that arrived with the 220 but before TLS could be an injected reply.
        guard framer.bufferedByteCount == 0, linesInReply == 0 else {
            fail(.dataBeforeTLS, context: context)
            return
        }
        guard let startTLSContext else {
            fail(.startTLSNotOffered, context: context)
            return
        }
        do {
            let tls = try (verification as any WatchedHandlerMaking).handler(
                context: startTLSContext,
                serverHostname: serverHostname
            )
            try context.pipeline.syncOperations.addHandler(tls, position: .first)
        } catch {
            fail(.tlsHandshakeFailed(TLSFailure(error)), context: context)
            return
        }
        // NIOSSL holds writes until the handshake has succeeded (and fails them, with errorCaught, if it does
        // not), so the EHLO that RFC 3207 §4.2 asks for can be queued now: nothing leaves in the clear.
        logger.debug("TLS started")
        perform(machine.tlsEstablished(), context: context)
    }

    private func pump() {
        guard let context, current == nil, !queue.isEmpty else { return }
        if machine.isClosed {
            failEverything(terminalError ?? .connectionUnusable)
            return
        }
        guard machine.isReady else { return }
        let request = queue.removeFirst()
        current = request
        switch request {
        case .send(let envelope, _): perform(machine.send(envelope), context: context)
        case .quit: perform(machine.quit(), context: context)
        }
    }

    // MARK: - Failure and timeouts

    private func fail(_ error: SMTPClientError, context: ChannelHandlerContext) {
        guard terminalError == nil else { return }
        terminalError = error
        logger.debug("session failed: \(error)")
        _ = machine.fail(error)
        timeoutTask?.cancel()
        failEverything(error)
        context.close(promise: nil)
    }

    private func failEverything(_ error: SMTPClientError) {
        if !readyReported {
            readyReported = true
            readyPromise.fail(error)
        }
        if let current {
            self.current = nil
            reject(current, with: error)
        }
        while let request = queue.popFirst() { reject(request, with: error) }
    }

    private func reject(_ request: Request, with error: SMTPClientError) {
        switch request {
        case .send(_, let promise): promise.fail(error)
        case .quit(let promise): promise.succeed()
        }
    }

    private func armTimeout(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        timeoutTask = nil
        guard machine.isAwaitingReply else { return }
        let delay = machine.isAwaitingFinalReply ? dataTimeout : commandTimeout
        let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        timeoutTask = context.eventLoop.scheduleTask(in: delay) {
            let handler = loopBoundSelf.value
            guard let context = handler.context else { return }
            handler.fail(.timeout, context: context)
        }
    }
}

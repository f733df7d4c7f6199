import NIOCore
import NIOPosix

/// One query over TCP (RFC 1035 §4.2.2, RFC 7766 §8).
///
/// The message goes with a two-octet length in front, and the response is read the same way. Used when a UDP response came back truncated (TC=1).
final class DNSStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let query: [UInt8]
    private let id: UInt16
    private let question: DNSQuestion
    private let timeout: Duration
    private let promise: EventLoopPromise<DNSExchangeOutcome>
    private var timeoutTask: Scheduled<Void>?
    private var received = ByteBuffer()
    private var done = false

    init(
        query: [UInt8],
        id: UInt16,
        question: DNSQuestion,
        timeout: Duration,
        promise: EventLoopPromise<DNSExchangeOutcome>
    ) {
        self.query = query
        self.id = id
        self.question = question
        self.timeout = timeout
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        let loop = context.eventLoop.assumeIsolated()
        timeoutTask = loop.scheduleTask(in: timeout.timeAmount) { self.finish(.timeout) }
        var buffer = context.channel.allocator.buffer(capacity: query.count + 2)
        buffer.writeInteger(UInt16(query.count))
        buffer.writeBytes(query)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenFailure { error in
            self.finish(.failed("\(error)"))
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        received.writeBuffer(&chunk)
        guard !done, let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
            received.readableBytes >= 2 + Int(length)
        else { return }
        let bytes = received.getBytes(at: received.readerIndex + 2, length: Int(length)) ?? []
        guard let response = try? DNSMessage.decode(bytes) else {
            finish(.failed("malformed response over TCP"))
            return
        }
        // Over TCP nobody else can answer on this connection: a mismatch is a broken server.
        guard DNSResponseMatching.matches(response, id: id, question: question) else {
            finish(.failed("response over TCP does not match the query"))
            return
        }
        finish(.response(response))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(.failed("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failed("connection closed before the response"))
        context.fireChannelInactive()
    }

    private func finish(_ outcome: DNSExchangeOutcome) {
        guard !done else { return }
        done = true
        timeoutTask?.cancel()
        promise.succeed(outcome)
    }
}

/// Sends one query over a new TCP connection and reads the response (RFC 7766 §5: after TC=1).
enum DNSStreamExchange {
    static func exchange(
        query: [UInt8],
        id: UInt16,
        question: DNSQuestion,
        server: DNSServerAddress,
        timeout: Duration,
        group: any EventLoopGroup
    ) async -> DNSExchangeOutcome {
        let eventLoop = group.any()
        let promise = eventLoop.makePromise(of: DNSExchangeOutcome.self)
        let channel: any Channel
        do {
            let remote = try server.socketAddress()
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(timeout.timeAmount)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            DNSStreamHandler(
                                query: query,
                                id: id,
                                question: question,
                                timeout: timeout,
                                promise: promise
                            )
                        )
                    }
                }
                .connect(to: remote).get()
        } catch {
            promise.succeed(.failed("\(error)"))
            return .failed("\(error)")
        }
        let outcome = (try? await promise.futureResult.get()) ?? .failed("no outcome")
        try? await channel.close().get()
        return outcome
    }
}

import NIOCore
import NIOPosix

/// One query over UDP (RFC 1035 §4.2.1): sends it once the socket is bound, then waits for the matching
/// response until the time-out, ignoring datagrams from any other address, with another ID or another
/// question, or that do not decode (RFC 5452 §9.1: they may be spoofs; the real answer may still come).
final class DNSDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let query: [UInt8]
    private let id: UInt16
    private let question: DNSQuestion
    private let server: SocketAddress
    private let timeout: Duration
    private let promise: EventLoopPromise<DNSExchangeOutcome>
    private var timeoutTask: Scheduled<Void>?
    private var done = false

    init(
        query: [UInt8],
        id: UInt16,
        question: DNSQuestion,
        server: SocketAddress,
        timeout: Duration,
        promise: EventLoopPromise<DNSExchangeOutcome>
    ) {
        self.query = query
        self.id = id
        self.question = question
        self.server = server
        self.timeout = timeout
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        let loop = context.eventLoop.assumeIsolated()
        timeoutTask = loop.scheduleTask(in: timeout.timeAmount) { self.finish(.timeout) }
        let envelope = AddressedEnvelope(remoteAddress: server, data: context.channel.allocator.buffer(bytes: query))
        context.writeAndFlush(wrapOutboundOut(envelope)).assumeIsolated().whenFailure { error in
            self.finish(.failed("\(error)"))
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard !done, envelope.remoteAddress == server,
            let response = try? DNSMessage.decode(Array(buffer: envelope.data)),
            DNSResponseMatching.matches(response, id: id, question: question)
        else { return }
        finish(.response(response))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // An ICMP port unreachable comes back as a read error on Linux: this server will not answer.
        finish(.failed("\(error)"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failed("socket closed"))
        context.fireChannelInactive()
    }

    private func finish(_ outcome: DNSExchangeOutcome) {
        guard !done else { return }
        done = true
        timeoutTask?.cancel()
        promise.succeed(outcome)
    }
}

/// Sends one query over UDP from a fresh socket on a kernel-chosen (random) port and waits for the
/// matching response (RFC 1035 §4.2.1, RFC 5452 §9.2).
enum DNSDatagramExchange {
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
            channel = try await DatagramBootstrap(group: eventLoop)
                .channelOption(
                    .recvAllocator,
                    value: FixedSizeRecvByteBufferAllocator(capacity: DNSDefaults.udpReceiveBufferSize)
                )
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            DNSDatagramHandler(
                                query: query,
                                id: id,
                                question: question,
                                server: remote,
                                timeout: timeout,
                                promise: promise
                            )
                        )
                    }
                }
                .bind(host: server.localBindHost, port: 0).get()
        } catch {
            promise.succeed(.failed("\(error)"))
            return .failed("\(error)")
        }
        let outcome = (try? await promise.futureResult.get()) ?? .failed("no outcome")
        try? await channel.close().get()
        return outcome
    }
}

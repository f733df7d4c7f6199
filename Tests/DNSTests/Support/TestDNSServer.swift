import DNS
import NIOCore
import NIOPosix
import Synchronization

/// A nameserver in the test process on 127.0.0.1: UDP and TCP on the same port (port 0 picked by the
/// kernel, then TCP bound to the same number), answering from a `TestZone`.
final class TestDNSServer: Sendable {
    let port: Int
    private let udp: any Channel
    private let tcp: any Channel
    private let spoofer: any Channel
    private let counters: Counters

    /// How many queries arrived over UDP and over TCP.
    var udpQueries: Int { counters.udp.withLock { $0 } }
    var tcpQueries: Int { counters.tcp.withLock { $0 } }

    /// The server's address for the resolver.
    var address: DNSServerAddress { try! DNSServerAddress("127.0.0.1:\(port)") }

    final class Counters: Sendable {
        let udp = Mutex(0)
        let tcp = Mutex(0)
    }

    private init(port: Int, udp: any Channel, tcp: any Channel, spoofer: any Channel, counters: Counters) {
        self.port = port
        self.udp = udp
        self.tcp = tcp
        self.spoofer = spoofer
        self.counters = counters
    }

    /// Starts a server for `zone`; a few tries when the UDP port's number is taken for TCP.
    static func start(_ zone: TestZone) async throws -> TestDNSServer {
        let group = MultiThreadedEventLoopGroup.singleton
        let counters = Counters()
        let spoofer = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        var lastError: any Error = ChannelError.ioOnClosedChannel
        for _ in 0..<10 {
            let udp = try await DatagramBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            UDPResponder(zone: zone, spoofer: spoofer, counters: counters)
                        )
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            let port = udp.localAddress!.port!
            do {
                let tcp = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(TCPResponder(zone: zone, counters: counters))
                        }
                    }
                    .bind(host: "127.0.0.1", port: port).get()
                return TestDNSServer(port: port, udp: udp, tcp: tcp, spoofer: spoofer, counters: counters)
            } catch {
                lastError = error
                try? await udp.close().get()
            }
        }
        try? await spoofer.close().get()
        throw lastError
    }

    func stop() async {
        try? await udp.close().get()
        try? await tcp.close().get()
        try? await spoofer.close().get()
    }
}

/// Runs `body` with a server for `zone` and stops it after, whatever happens.
func withTestDNSServer<T>(_ zone: TestZone, _ body: (TestDNSServer) async throws -> T) async throws -> T {
    let server = try await TestDNSServer.start(zone)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

private final class UDPResponder: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let zone: TestZone
    let spoofer: any Channel
    let counters: TestDNSServer.Counters

    init(zone: TestZone, spoofer: any Channel, counters: TestDNSServer.Counters) {
        self.zone = zone
        self.spoofer = spoofer
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        counters.udp.withLock { $0 += 1 }
        guard let query = try? DNSMessage.decode(Array(buffer: envelope.data)) else { return }
        let (spoofed, real) = zone.replies(to: query, overTCP: false)
        let channel = context.channel
        let remote = envelope.remoteAddress
        let realEnvelopes = real.map {
            AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: try! $0.encoded()))
        }
        let sendReal: @Sendable () -> Void = {
            for reply in realEnvelopes { channel.writeAndFlush(reply, promise: nil) }
        }
        guard !spoofed.isEmpty else { return sendReal() }
        // The spoofed replies leave first (their write completes before the real one is written).
        let writes = spoofed.map {
            spoofer.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: try! $0.encoded())))
        }
        EventLoopFuture.andAllComplete(writes, on: spoofer.eventLoop).whenComplete { _ in sendReal() }
    }
}

private final class TCPResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let zone: TestZone
    let counters: TestDNSServer.Counters
    var received = ByteBuffer()

    init(zone: TestZone, counters: TestDNSServer.Counters) {
        self.zone = zone
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        received.writeBuffer(&chunk)
        while let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
            received.readableBytes >= 2 + Int(length)
        {
            received.moveReaderIndex(forwardBy: 2)
            let bytes = received.readBytes(length: Int(length)) ?? []
            counters.tcp.withLock { $0 += 1 }
            guard let query = try? DNSMessage.decode(bytes) else { continue }
            for message in zone.replies(to: query, overTCP: true).real {
                let encoded = try! message.encoded()
                var reply = context.channel.allocator.buffer(capacity: encoded.count + 2)
                reply.writeInteger(UInt16(encoded.count))
                reply.writeBytes(encoded)
                context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
            }
        }
    }
}

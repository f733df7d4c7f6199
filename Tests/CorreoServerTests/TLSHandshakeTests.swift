import CorreoServer
import Foundation
import MailTestSupport
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Testing

/// A client that trusts exactly the generated certificate (`--cafile`, `curl --cacert`) must complete a
/// handshake with a server using it; BoringSSL once refused it because of its KeyUsage extension.
@Suite(.offThePool) struct TLSHandshakeTests {
    @Test(arguments: ["localhost", "127.0.0.1"])
    func clientTrustingTheGeneratedCertificateCompletesAHandshake(serverName: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let made = try DefaultCertificate.ensure(storage: directory.url, hosts: ["mail.example.test"])
        let identity = try TLSIdentity.load(certificatePath: made.certificate, keyPath: made.privateKey)
        let serverContext = try NIOSSLContext(configuration: identity.serverConfiguration())
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverContext))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)

        var clientConfiguration = TLSConfiguration.makeClientConfiguration()
        clientConfiguration.trustRoots = .file(made.certificate)
        clientConfiguration.minimumTLSVersion = .tlsv12
        let clientContext = try NIOSSLContext(configuration: clientConfiguration)
        let handshake = group.any().makePromise(of: Void.self)
        let client = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let hostname = serverName == "127.0.0.1" ? nil : serverName
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: clientContext, serverHostname: hostname)
                    )
                    try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(promise: handshake))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        defer { client.close(promise: nil) }
        try await handshake.futureResult.get()
    }
}

/// Completes its promise when TLS is up, fails it when the handshake fails.
private final class HandshakeWatcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { promise.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.ioOnClosedChannel)
    }
}

import MailTestSupport
import NIOCore
import NIOEmbedded
import NIOSSL
import ServerSupport
import Testing

/// The `tls` key of the log lines says TLS only once a handshake has completed: a real handshake between
/// two in-memory channels, stopped part way and then finished.
@Suite(.offThePool) struct TLSVersionNameTests {
    /// A server channel with TLS and the connection meter, as the servers build it, and a client for it.
    struct Pair {
        let server = EmbeddedChannel()
        let client = EmbeddedChannel()

        init(tls: TestTLS) async throws {
            let serverContext = try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem))
                )
            )
            var clientConfiguration = TLSConfiguration.makeClientConfiguration()
            clientConfiguration.certificateVerification = .none
            let clientContext = try NIOSSLContext(configuration: clientConfiguration)
            try server.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverContext))
            try server.pipeline.syncOperations.addHandler(ConnectionMeter(protocol: "test"))
            try client.pipeline.syncOperations.addHandler(
                try NIOSSLClientHandler(context: clientContext, serverHostname: nil)
            )
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
            try await server.connect(to: address)
            try await client.connect(to: address)
        }

        /// Moves what each side wrote to the other; returns whether anything moved.
        func exchange() throws -> Bool {
            var moved = false
            while let bytes = try client.readOutbound(as: ByteBuffer.self) {
                try server.writeInbound(bytes)
                moved = true
            }
            while let bytes = try server.readOutbound(as: ByteBuffer.self) {
                try client.writeInbound(bytes)
                moved = true
            }
            return moved
        }

        var serverTLS: String { server.pipeline.syncOperations.tlsVersionName }
    }

    @Test func saysNoneUntilTheHandshakeCompletes() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let pair = try await Pair(tls: try TestTLS.make(in: folder))
        #expect(pair.serverTLS == "none")
        // The client hello only: the server has answered, the client has not finished.
        while let bytes = try pair.client.readOutbound(as: ByteBuffer.self) { try pair.server.writeInbound(bytes) }
        #expect(pair.serverTLS == "none")
        var rounds = 0
        while try pair.exchange(), rounds < 10 { rounds += 1 }
        #expect(pair.serverTLS == "TLSv1.3")
        // No `finish()`: closing a TLS channel waits for the peer's close_notify, which nothing carries here.
    }

    @Test func saysNoneWithoutTLS() throws {
        let channel = EmbeddedChannel(handler: ConnectionMeter(protocol: "test"))
        #expect(channel.pipeline.syncOperations.tlsVersionName == "none")
        _ = try channel.finish()
    }
}

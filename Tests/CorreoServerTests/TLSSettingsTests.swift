import CorreoServer
import Foundation
import MailTestSupport
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Testing

/// The TLS settings an operator gives on the command line: parsed with clear refusals, and applied to
/// every handshake (a client below the minimum version, or with only refused suites, gets no session).
@Suite(.offThePool) struct TLSSettingsTests {
    @Test func defaultsAreTLS12AndForwardSecretAEADOnly() throws {
        let settings = TLSSettings.defaults
        #expect(settings.minimumVersion == .tls12)
        #expect(settings.curves == nil)
        let suites = settings.tls12CipherSuites.split(separator: ":")
        #expect(suites.count == 6)
        #expect(suites.allSatisfy { $0.hasPrefix("ECDHE-") && ($0.contains("GCM") || $0.contains("CHACHA20")) })
        try settings.validate()
    }

    @Test(arguments: [("1.2", TLSSettings.Version.tls12), ("1.3", .tls13), ("TLSv1.3", .tls13), ("tls1.2", .tls12)])
    func minimumVersionsParse(text: String, version: TLSSettings.Version) throws {
        #expect(try TLSSettings.version(parsing: text) == version)
    }

    @Test func obsoleteAndUnknownVersionsAreRefused() {
        for text in ["1.0", "1.1", "TLSv1", "tlsv1.1"] {
            #expect(throws: TLSSettingsError.obsoleteVersion(text)) { try TLSSettings.version(parsing: text) }
        }
        #expect(throws: TLSSettingsError.unknownVersion("1.4")) { try TLSSettings.version(parsing: "1.4") }
        #expect(throws: TLSSettingsError.unknownVersion("SSLv3")) { try TLSSettings.version(parsing: "SSLv3") }
    }

    @Test func cipherListsAreCheckedNameByName() throws {
        try TLSSettings(tls12CipherSuites: "ECDHE-RSA-AES128-GCM-SHA256").validate()
        #expect(throws: TLSSettingsError.unknownCipherSuite("RC4-SHA")) {
            try TLSSettings(tls12CipherSuites: "ECDHE-RSA-AES128-GCM-SHA256:RC4-SHA").validate()
        }
        #expect(throws: TLSSettingsError.unknownCipherSuite("HIGH")) {
            try TLSSettings(tls12CipherSuites: "HIGH").validate()
        }
        #expect(throws: TLSSettingsError.noCipherSuites) { try TLSSettings(tls12CipherSuites: "").validate() }
    }

    @Test func curvesParseByTheirOpenSSLNames() throws {
        #expect(try TLSSettings.curves(parsing: "X25519,P-256") == [.x25519, .p256])
        #expect(try TLSSettings.curves(parsing: "x25519mlkem768:p-384") == [.x25519MLKEM768, .p384])
        #expect(throws: TLSSettingsError.unknownCurve("secp256k1")) { try TLSSettings.curves(parsing: "secp256k1") }
        #expect(throws: TLSSettingsError.noCurves) { try TLSSettings.curves(parsing: ",") }
    }

    @Test func configurationValidationReportsTLSMistakes() {
        let configuration = CorreoConfiguration(tls: TLSSettings(tls12CipherSuites: "NULL-SHA"))
        #expect(throws: ConfigurationError.invalidTLS(.unknownCipherSuite("NULL-SHA"))) { try configuration.validate() }
    }

    /// Each case: server settings, client's highest version, client's TLS 1.2 suites, expected to connect.
    static let handshakes: [(TLSSettings, TLSVersion, String?, Bool)] = [
        (.defaults, .tlsv12, nil, true),
        (.defaults, .tlsv13, nil, true),
        (TLSSettings(minimumVersion: .tls13), .tlsv12, nil, false),
        (TLSSettings(minimumVersion: .tls13), .tlsv13, nil, true),
        (.defaults, .tlsv12, "ECDHE-ECDSA-AES128-SHA", false),
        (TLSSettings(tls12CipherSuites: "ECDHE-ECDSA-AES128-SHA"), .tlsv12, "ECDHE-ECDSA-AES128-SHA", true),
        (TLSSettings(curves: [.p384]), .tlsv13, nil, true),
    ]

    @Test(arguments: 0..<handshakes.count)
    func settingsDecideWhichClientsConnect(index: Int) async throws {
        let (settings, clientMaximum, clientSuites, expected) = Self.handshakes[index]
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let made = try DefaultCertificate.ensure(storage: directory.url, hosts: ["localhost"])
        let identity = try TLSIdentity.load(certificatePath: made.certificate, keyPath: made.privateKey)
        let serverContext = try NIOSSLContext(configuration: identity.serverConfiguration(settings: settings))
        var client = TLSConfiguration.makeClientConfiguration()
        client.trustRoots = .file(made.certificate)
        client.minimumTLSVersion = .tlsv12
        client.maximumTLSVersion = clientMaximum
        if let clientSuites { client.cipherSuites = clientSuites }
        let connected = try await Handshake.attempt(
            server: serverContext,
            client: try NIOSSLContext(configuration: client)
        )
        #expect(connected == expected)
    }
}

/// One TLS handshake over loopback between two contexts.
enum Handshake {
    static func attempt(server: NIOSSLContext, client: NIOSSLContext) async throws -> Bool {
        let group = MultiThreadedEventLoopGroup.singleton
        let listener = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: server))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { listener.close(promise: nil) }
        let port = try #require(listener.localAddress?.port)
        let done = group.any().makePromise(of: Bool.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: client, serverHostname: "localhost")
                    )
                    try channel.pipeline.syncOperations.addHandler(Outcome(promise: done))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        defer { channel.close(promise: nil) }
        return try await done.futureResult.get()
    }

    /// True when the handshake completes; false when it fails or the connection ends first.
    private final class Outcome: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<Bool>

        init(promise: EventLoopPromise<Bool>) { self.promise = promise }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event { promise.succeed(true) }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            promise.succeed(false)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) { promise.succeed(false) }
    }
}

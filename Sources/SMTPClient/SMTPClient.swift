import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SMTPCore

/// An ESMTP client: `try await SMTPClient.connect(…)` opens a session, `connection.send(…)` sends messages
/// over it, `connection.close()` ends it with QUIT.
public enum SMTPClient {
    /// Whether STARTTLS must succeed or is used only when the server offers it.
    public enum StartTLSPolicy: Hashable, Sendable {
        /// Stop unless the server offers STARTTLS and the handshake succeeds.
        case required
        /// Use STARTTLS when offered; go on in the clear otherwise (no AUTH then, unless allowed).
        case opportunistic
    }

    /// How the connection is protected.
    public enum TLSMode: Hashable, Sendable {
        /// Plain connection upgraded with STARTTLS (RFC 3207), usually port 587 or 25.
        case startTLS(StartTLSPolicy)
        /// TLS from the first byte (RFC 8314), usually port 465.
        case implicit
        /// No TLS at all.
        case none
    }

    /// Which certificates the client trusts.
    public enum Trust: Hashable, Sendable {
        /// The system's trust store, with host name verification.
        case system
        /// Only the certificate authorities (or self-signed certificates) in a PEM file, with host name verification.
        case certificateAuthorities(pemFile: String)
        /// Any certificate, unverified: for test servers only.
        case insecure
    }

    /// Session settings beyond host, port, TLS and credentials.
    public struct Configuration: Sendable {
        /// The name given in EHLO; nil uses the local address as an address literal (RFC 5321 §4.1.3).
        public var localHostname: String?
        /// Whether credentials may be sent on a connection without TLS.
        public var allowsAuthenticationWithoutTLS = false
        /// Time to open the TCP connection.
        public var connectTimeout = SMTPClientDefaults.connectTimeout
        /// Time to wait for each reply.
        public var commandTimeout = SMTPClientDefaults.commandTimeout
        /// Time to wait for the reply to the end of a message.
        public var dataTerminationTimeout = SMTPClientDefaults.dataTerminationTimeout
        /// The name for SNI and certificate verification when `host` is an address: a relay connects to an
        /// MX host's address, and the certificate must name the MX host (RFC 7672 §3.2.2, RFC 8461 §4.2).
        public var tlsServerName: String?

        /// Default settings.
        public init() {}
    }

    /// Opens a session: connects, reads the greeting, EHLO (HELO if refused), STARTTLS and AUTH as asked.
    ///
    /// - Parameters:
    ///   - host: the server's name or IP address; the certificate must match it.
    ///   - port: the server's port.
    ///   - tls: how the connection is protected; `.startTLS(.required)` by default.
    ///   - trust: which certificates to trust; ignored when `tlsConfiguration` is given.
    ///   - tlsConfiguration: a full NIOSSL client configuration, for needs `trust` does not cover.
    ///   - auth: credentials for AUTH PLAIN or LOGIN, if the server needs them.
    ///   - configuration: timeouts and the EHLO name.
    ///   - group: the event loop group to run on.
    ///   - logger: where protocol traces go (credentials and message bodies are never logged).
    /// - Throws: `SMTPClientError`.
    public static func connect(
        host: String,
        port: Int,
        tls: TLSMode = .startTLS(.required),
        trust: Trust = .system,
        tlsConfiguration: TLSConfiguration? = nil,
        auth: SMTPCredentials? = nil,
        configuration: Configuration = Configuration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "correo.smtp-client")
    ) async throws(SMTPClientError) -> SMTPConnection {
        var logger = logger
        logger[metadataKey: "smtp.connection"] = "\(UInt32.random(in: 0...UInt32.max))"
        let sslContext: NIOSSLContext?
        do {
            sslContext =
                tls == .none ? nil : try NIOSSLContext(configuration: tlsConfiguration ?? makeTLSConfiguration(trust))
        } catch {
            // An unreadable --cafile is the usual cause: say which file, not BoringSSL's codes.
            if case .certificateAuthorities(let pemFile) = trust, tlsConfiguration == nil {
                throw .connectionFailed("cannot read trusted certificates from \(pemFile)")
            }
            throw .connectionFailed("TLS configuration: \(TLSFailure(error))")
        }
        // SNI and certificate names take a host name; for an IP address NIOSSL checks the peer address instead.
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        let serverHostname = configuration.tlsServerName ?? (isAddress ? nil : host)
        let implicitTLS = tls == .implicit
        let machineConfiguration = SMTPClientStateMachine.Configuration(
            localHostname: configuration.localHostname ?? "localhost",
            tls: tls,
            credentials: auth,
            allowsAuthenticationWithoutTLS: configuration.allowsAuthenticationWithoutTLS
        )
        let useAddressLiteral = configuration.localHostname == nil
        let commandTimeout = TimeAmount(configuration.commandTimeout)
        let dataTimeout = TimeAmount(configuration.dataTerminationTimeout)
        // The promises exist before the channel does, so a session that fails at once still reports why.
        let eventLoop = group.next()
        let ready = eventLoop.makePromise(of: SMTPExtensions.self)
        let handlerAdded = eventLoop.makePromise(of: NIOLoopBound<SMTPClientHandler>.self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            // TCP_NODELAY is an IPPROTO_TCP option: as a SOL_SOCKET option its number is SO_DEBUG, which
            // only root may set — the relay could not connect at all once correo had dropped privileges.
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let verification = CertificateVerificationWatch()
                    if implicitTLS, let sslContext {
                        let handler = try (verification as any WatchedHandlerMaking).handler(
                            context: sslContext,
                            serverHostname: serverHostname
                        )
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    let handler = SMTPClientHandler(
                        configuration: machineConfiguration,
                        useAddressLiteral: useAddressLiteral,
                        startTLSContext: sslContext,
                        serverHostname: serverHostname,
                        verification: verification,
                        commandTimeout: commandTimeout,
                        dataTimeout: dataTimeout,
                        readyPromise: ready,
                        logger: logger
                    )
                    try channel.pipeline.syncOperations.addHandler(handler)
                    handlerAdded.succeed(NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            let failure = SMTPClientError.cannotConnect(host: host, port: port, reason: ConnectFailure(error))
            ready.fail(failure)
            handlerAdded.fail(failure)
            throw failure
        }
        let started = handlerAdded.futureResult.and(ready.futureResult).map { bound, capabilities in
            SMTPConnection.Session(handler: bound, capabilities: capabilities, isTLSActive: bound.value.isTLSActive)
        }
        do {
            let session = try await started.get()
            return SMTPConnection(channel: channel, session: session)
        } catch {
            channel.close(promise: nil)
            throw error as? SMTPClientError ?? .connectionFailed("\(error)")
        }
    }

    /// The NIOSSL client configuration for a trust choice.
    public static func makeTLSConfiguration(_ trust: Trust) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch trust {
        case .system:
            break
        case .certificateAuthorities(let pemFile):
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pemFile))
        case .insecure:
            configuration.certificateVerification = .none
        }
        return configuration
    }

    /// The address literal of `address` for EHLO, or `localhost` when it has none.
    ///
    /// `address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]"` (RFC 5321 §4.1.3)
    static func addressLiteral(_ address: SocketAddress?) -> String {
        switch address {
        case .v4?: "[\(address?.ipAddress ?? "127.0.0.1")]"
        case .v6?: "[IPv6:\(address?.ipAddress ?? "::1")]"
        default: "localhost"
        }
    }
}

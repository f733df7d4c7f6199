import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SMTPCore
import ServerSupport

/// correo's SMTP server: MX, submission and submissions listeners over one delivery target (CorreoServer
/// gives it `MailStoreDelivery` and `MailStoreAuthenticator`).
///
/// ```swift
/// let server = SMTPServer(configuration: config, delivery: MailStoreDelivery(store: store),
///                         authenticator: MailStoreAuthenticator(users: store), tlsContext: tls,
///                         group: MultiThreadedEventLoopGroup.singleton, logger: logger)
/// let bound = try await server.start(listeners: [SMTPListener(kind: .mx, host: "0.0.0.0", port: 2525)])
/// …
/// await server.shutdown(graceful: true)
/// ```
public final class SMTPServer: Sendable {
    /// The configuration a connection accepted now gets: the one the server was made with, as changed since by
    /// `reconfigure`.
    public var configuration: SMTPServerConfiguration { settings.current }
    /// Read once per connection, so that a reload changes what new sessions get and no open one.
    private let settings: Reloadable<SMTPServerConfiguration>
    private let target: any SMTPDeliveryTarget
    private let authenticator: any SMTPAuthenticator
    /// Read per connection, so that a reload (SIGHUP) serves a new certificate to new connections.
    private let tls: Reloadable<NIOSSLContext>?
    private let group: any EventLoopGroup
    private let logger: Logger
    private let registry: ConnectionRegistry
    private let listeners = Listeners()
    /// A random prefix so connection ids differ between runs.
    private let connectionIDPrefix = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    /// - Parameters:
    ///   - delivery: recipient lookup and durable message storage.
    ///   - authenticator: checks AUTH credentials.
    ///   - tlsContext: a server TLS context; without one STARTTLS is not offered and SMTPS cannot start.
    public convenience init(
        configuration: SMTPServerConfiguration,
        delivery: any SMTPDeliveryTarget,
        authenticator: any SMTPAuthenticator,
        tlsContext: NIOSSLContext?,
        group: any EventLoopGroup,
        logger: Logger
    ) {
        self.init(
            configuration: configuration,
            delivery: delivery,
            authenticator: authenticator,
            tls: tlsContext.map { Reloadable($0) },
            group: group,
            logger: logger
        )
    }

    /// As above, with a TLS context that can be replaced while the server runs: each new connection
    /// (and each STARTTLS on it) uses the context current when it was accepted.
    public init(
        configuration: SMTPServerConfiguration,
        delivery: any SMTPDeliveryTarget,
        authenticator: any SMTPAuthenticator,
        tls: Reloadable<NIOSSLContext>?,
        group: any EventLoopGroup,
        logger: Logger
    ) {
        self.settings = Reloadable(configuration)
        self.target = delivery
        self.authenticator = authenticator
        self.tls = tls
        self.group = group
        self.logger = logger
        self.registry = ConnectionRegistry(
            maximumTotal: configuration.maximumConnections,
            maximumPerAddress: configuration.maximumConnectionsPerAddress
        )
    }

    /// Opens the listeners; returns them with the ports actually bound (for port 0).
    ///
    /// When one listener cannot be opened, none stays open and the error is thrown.
    public func start(listeners: [SMTPListener]) async throws -> [SMTPListener] {
        if listeners.contains(where: { $0.kind.usesImplicitTLS }), tls == nil {
            throw SMTPServerError.implicitTLSWithoutCertificate
        }
        let opened = try await self.listeners.start(
            listeners,
            group: group,
            // TCP level: at SOL_SOCKET the same number is SO_DEBUG, which only root may set.
            childOptions: { $0.childChannelOption(.tcpOption(.tcp_nodelay), value: 1) },
            initialize: { [self] channel, listener in try initialize(channel, kind: listener.kind) }
        )
        return opened.map { listener, port in
            logger.info("SMTP \(listener.kind.rawValue) listening on \(listener.host):\(port)")
            return SMTPListener(kind: listener.kind, host: listener.host, port: port)
        }
    }

    /// Stops accepting connections (a server is not started again after this).
    ///
    /// Graceful: sessions finish their current transaction (and get `421 4.3.2`), for at most the grace period; then,
    /// or when not graceful, the rest are closed.
    public func shutdown(graceful: Bool = true) async {
        await listeners.closeAll()
        let open = registry.stopAccepting()
        if graceful {
            for channel in open { channel.pipeline.fireUserInboundEventTriggered(SMTPShutdownRequest()) }
            let registry = self.registry
            let deadline = group.next().scheduleTask(in: configuration.shutdownGracePeriod) {
                for channel in registry.openChannels { channel.close(promise: nil) }
            }
            for channel in open { try? await channel.closeFuture.get() }
            deadline.cancel()
        }
        for channel in registry.openChannels { try? await channel.close() }
        logger.info("SMTP server stopped")
    }

    /// Changes the settings of the connections accepted from now on (a SIGHUP reload: local domains, limits);
    /// open sessions keep those they started with, and the connection caps apply to the next admission.
    public func reconfigure(_ change: (inout SMTPServerConfiguration) -> Void) {
        let changed = settings.update(change)
        registry.setMaximums(total: changed.maximumConnections, perAddress: changed.maximumConnectionsPerAddress)
    }

    /// Sets up one accepted connection, on its event loop.
    private func initialize(_ channel: any Channel, kind: SMTPListenerKind) throws {
        let configuration = settings.current
        let operations = channel.pipeline.syncOperations
        let tlsContext = tls?.current
        let refusal = SMTPReply(
            code: 421,
            EnhancedStatusCode(4, 7, 0),
            "\(configuration.hostname) too many connections; try again later"
        )
        guard
            let (number, address) = try registry.admit(
                channel,
                implicitTLS: kind.usesImplicitTLS ? tlsContext : nil,
                refusal: String(buffer: refusal.encoded)
            )
        else {
            let address = ClientAddress.normalized(channel.remoteAddress?.ipAddress)
            return logger.notice("connection from \(address) refused: too many connections")
        }
        let session = SMTPSession(
            configuration: configuration.session(for: kind, tlsAvailable: tlsContext != nil),
            connectionID: connectionIDPrefix + String(number, radix: 36),
            clientAddress: address,
            isTLS: kind.usesImplicitTLS
        )
        let settings = SMTPServerHandler.Settings(
            idleTimeout: configuration.idleTimeout,
            authThrottle: configuration.authThrottle
        )
        try operations.addHandler(ConnectionMeter(protocol: kind.protocolName))
        var connectionLogger = logger
        connectionLogger[metadataKey: LogKey.protocol] = "\(kind.protocolName)"
        try operations.addHandler(
            SMTPServerHandler(
                session: session,
                target: target,
                authenticator: authenticator,
                tlsContext: tlsContext,
                settings: settings,
                logger: connectionLogger
            )
        )
    }
}

extension SMTPServer {
    /// The client's address as the logs, Received: and (later) SPF need it (`ClientAddress`).
    static func clientAddress(_ address: String?) -> String {
        ClientAddress.normalized(address)
    }
}

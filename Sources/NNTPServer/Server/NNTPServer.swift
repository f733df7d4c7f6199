import Logging
import MailStore
import NIOCore
import NIOPosix
import NIOSSL
import ServerSupport

/// The NNTP server: listeners on which each connection gets a session over the store's newsgroups.
///
/// ```swift
/// let server = NNTPServer(configuration: .init(), news: BackendNewsStore(store: store, serverName: "news.example"),
///                         tlsContext: tls, group: group, logger: logger)
/// let ports = try await server.start(listeners: [.init(kind: .startTLS, host: "0.0.0.0", port: 119)])
/// …
/// await server.shutdown()
/// ```
public final class NNTPServer: Sendable {
    /// What every connection shares.
    public struct Configuration: Sendable {
        /// Allow AUTHINFO before TLS (`--allow-plaintext-auth`).
        public var allowPlaintextAuth: Bool
        /// The name in the greeting, Path and Injection-Info.
        public var serverName: String
        /// Connections at once over all NNTP listeners; more get `400` and are closed.
        public var maxConnections: Int
        /// Connections at once from one client address.
        public var maxConnectionsPerAddress: Int
        /// A posted article larger than this is refused with 441.
        public var maximumArticleBytes: Int
        /// An idle connection is ended after this long.
        public var idleTimeout: Duration
        /// Client addresses of the peers that may feed articles with IHAVE (`--nntp-peer`).
        public var peers: Set<String>

        /// A configuration; the limits default to `NNTPDefaults`.
        public init(
            allowPlaintextAuth: Bool = false,
            serverName: String = "correo",
            maxConnections: Int = NNTPDefaults.maximumConnections,
            maxConnectionsPerAddress: Int = NNTPDefaults.maximumConnectionsPerAddress,
            maximumArticleBytes: Int = NNTPDefaults.maximumArticleBytes,
            idleTimeout: Duration = NNTPDefaults.idleTimeout,
            peers: Set<String> = []
        ) {
            self.peers = peers
            self.allowPlaintextAuth = allowPlaintextAuth
            self.serverName = serverName
            self.maxConnections = maxConnections
            self.maxConnectionsPerAddress = maxConnectionsPerAddress
            self.maximumArticleBytes = maximumArticleBytes
            self.idleTimeout = idleTimeout
        }
    }

    /// A port to listen on: plain with STARTTLS (119-style, RFC 4642) or implicit TLS (563-style).
    public typealias Listener = TLSListener

    /// What a connection accepted now gets: the configuration the server was made with, as changed since by
    /// `reconfigure`; each connection reads it once, so that a reload changes new sessions only.
    private let settings: Reloadable<Configuration>
    private var configuration: Configuration { settings.current }
    private let news: any NNTPNewsStore
    /// Read per connection, so that a reload (SIGHUP) serves a new certificate to new connections
    /// and to each STARTTLS begun after it.
    private let tls: Reloadable<NIOSSLContext>?
    private let group: any EventLoopGroup
    private let logger: Logger
    private let listeners = Listeners()
    private let registry: ConnectionRegistry

    /// A server answering from `news`, with a TLS context that stays as it is.
    public convenience init(
        configuration: Configuration,
        news: any NNTPNewsStore,
        tlsContext: NIOSSLContext?,
        group: any EventLoopGroup,
        logger: Logger
    ) {
        self.init(
            configuration: configuration,
            news: news,
            tls: tlsContext.map { Reloadable($0) },
            group: group,
            logger: logger
        )
    }

    /// A server answering from `news`, with a TLS context that a reload may replace while it runs:
    /// each new connection (and each STARTTLS) uses the context current at that moment.
    public init(
        configuration: Configuration,
        news: any NNTPNewsStore,
        tls: Reloadable<NIOSSLContext>?,
        group: any EventLoopGroup,
        logger: Logger
    ) {
        self.settings = Reloadable(configuration)
        self.news = news
        self.tls = tls
        self.group = group
        self.logger = logger
        registry = ConnectionRegistry(
            maximumTotal: configuration.maxConnections,
            maximumPerAddress: configuration.maxConnectionsPerAddress
        )
    }

    /// Binds every listener and returns the ports actually bound (useful with port 0), in order.
    public func start(listeners: [Listener]) async throws -> [Int] {
        let opened = try await self.listeners.start(
            listeners,
            service: "NNTP",
            hasCertificate: tls != nil,
            group: group,
            childOptions: { $0.childChannelOption(.socketOption(.so_keepalive), value: 1) },
            initialize: { [self] channel, listener in try initialize(channel, kind: listener.kind) }
        )
        for (listener, port) in opened {
            logger.info("NNTP listening", metadata: ["port": "\(port)", "tls": "\(listener.kind.name)"])
        }
        return opened.map(\.port)
    }

    /// Stops accepting, closes the listeners, then says 400 to and closes every open connection.
    public func shutdown() async {
        await listeners.closeAll()
        await registry.closeAll(saying: "400 Server shutting down\r\n")
    }

    /// Number of client connections open now.
    public var connectionCount: Int { registry.count }

    /// Changes the settings of the connections accepted from now on (a SIGHUP reload: the limits); open sessions
    /// keep those they started with, and the connection caps apply to the next admission.
    public func reconfigure(_ change: (inout Configuration) -> Void) {
        let changed = settings.update(change)
        registry.setMaximums(total: changed.maxConnections, perAddress: changed.maxConnectionsPerAddress)
    }

    private func initialize(_ channel: any Channel, kind: Listener.Kind) throws {
        let configuration = settings.current
        let sync = channel.pipeline.syncOperations
        let tlsContext = tls?.current
        guard
            let (id, address) = try registry.admit(
                channel,
                implicitTLS: kind == .implicitTLS ? tlsContext : nil,
                // RFC 3977 §5.1.1: 400, service temporarily unavailable.
                refusal: "400 Too many connections; try again later\r\n"
            )
        else {
            return logger.notice(
                "connection refused: too many connections",
                metadata: [LogKey.remoteAddress: "\(ClientAddress.normalized(channel.remoteAddress?.ipAddress))"]
            )
        }
        let protocolName = kind == .implicitTLS ? "nntps" : "nntp"
        var connectionLogger = logger
        connectionLogger[metadataKey: LogKey.session] = "nntp-\(id)"
        connectionLogger[metadataKey: LogKey.remoteAddress] = "\(address)"
        connectionLogger[metadataKey: LogKey.protocol] = "\(protocolName)"
        let session = NNTPSessionConfiguration(
            isTLS: kind == .implicitTLS,
            startTLSAvailable: tlsContext != nil && kind == .startTLS,
            allowPlaintextAuth: configuration.allowPlaintextAuth,
            serverName: configuration.serverName,
            maximumArticleBytes: configuration.maximumArticleBytes,
            isPeer: configuration.peers.contains(address)
        )
        let meter = ConnectionMeter(protocol: protocolName)
        let handler = NNTPChannelHandler(
            configuration: session,
            store: news,
            tlsContext: tlsContext,
            idleTimeout: configuration.idleTimeout,
            logger: connectionLogger
        )
        handler.meter = meter
        try sync.addHandlers(meter, handler)
    }
}

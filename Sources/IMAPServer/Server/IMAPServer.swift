import Logging
import MailStore
import NIOCore
import NIOPosix
import NIOSSL
import ServerSupport

/// The IMAP server: listeners on which each connection gets a session over the shared `MailStore`.
///
/// ```swift
/// let server = IMAPServer(configuration: .init(), store: store, tlsContext: tls, group: group, logger: logger)
/// let ports = try await server.start(listeners: [.init(kind: .startTLS, host: "0.0.0.0", port: 1143)])
/// …
/// try await server.shutdown()
/// ```
public final class IMAPServer: Sendable {
    /// What every IMAP connection of this server gets.
    public struct Configuration: Sendable {
        /// Allow LOGIN / AUTHENTICATE PLAIN before TLS (`--allow-plaintext-auth`).
        public var allowPlaintextAuth: Bool
        /// The APPENDLIMIT (RFC 7889), in octets.
        public var appendLimit: Int
        /// Failed logins in one session before `* BYE`.
        public var maxFailedLogins: Int
        /// The session's pause before answering a failed login, times the failures so far.
        public var failedLoginDelayMilliseconds: Int
        /// The name in the greeting.
        public var serverName: String
        /// Connections at once over all IMAP listeners; more get `* BYE` and are closed.
        public var maxConnections: Int
        /// Connections at once from one client address.
        public var maxConnectionsPerAddress: Int
        /// Timeouts and the shared failed-login throttle.
        public var defences: IMAPChannelHandler.Defences
        /// Who may log in and whose folders a login opens; nil: passwords.txt, each user their own.
        public var logins: (any IMAPLoginPolicy)?
        /// Where an APPEND into `#news.GROUP` is posted (the NNTP server's injection); nil: the
        /// namespace refuses every write with `NO [NOPERM]`.
        public var newsPosting: (any NewsPosting)?

        /// A configuration; every value defaults to `IMAPDefaults`.
        public init(
            allowPlaintextAuth: Bool = false,
            appendLimit: Int = IMAPDefaults.appendLimit,
            maxFailedLogins: Int = IMAPDefaults.maxFailedLogins,
            failedLoginDelayMilliseconds: Int = IMAPDefaults.failedLoginDelayMilliseconds,
            serverName: String = "correo",
            maxConnections: Int = IMAPDefaults.maxConnections,
            maxConnectionsPerAddress: Int = IMAPDefaults.maxConnectionsPerAddress,
            defences: IMAPChannelHandler.Defences = .init(),
            logins: (any IMAPLoginPolicy)? = nil,
            newsPosting: (any NewsPosting)? = nil
        ) {
            self.logins = logins
            self.newsPosting = newsPosting
            self.maxConnections = maxConnections
            self.maxConnectionsPerAddress = maxConnectionsPerAddress
            self.defences = defences
            self.allowPlaintextAuth = allowPlaintextAuth
            self.appendLimit = appendLimit
            self.maxFailedLogins = maxFailedLogins
            self.failedLoginDelayMilliseconds = failedLoginDelayMilliseconds
            self.serverName = serverName
        }
    }

    /// A port to listen on: plain with STARTTLS (143-style) or implicit TLS (993-style).
    public typealias Listener = TLSListener

    /// What a connection accepted now gets: the configuration the server was made with, as changed since by
    /// `reconfigure`; each connection reads it once, so that a reload changes new sessions only.
    private let settings: Reloadable<Configuration>
    private var configuration: Configuration { settings.current }
    private let store: MailStore
    private let users: any UserDirectory
    /// The users' mailboxes: `store`'s, or another backend's (`correo serve --store`).
    ///
    /// `store` keeps the spool of large APPENDs either way.
    private let folders: any MailboxDirectory
    /// The groups of the `#news.` namespace: `store`'s, or the other backend's.
    private let newsgroups: any NewsgroupStore
    /// Read per connection, so that a reload (SIGHUP) serves a new certificate to new connections.
    private let tls: Reloadable<NIOSSLContext>?
    private let group: any EventLoopGroup
    private let logger: Logger
    private let listeners = Listeners()
    private let registry: ConnectionRegistry
    /// Every session in IDLE, by mailbox: one delivery, one look at the mailbox for all of them.
    ///
    /// Not private: tests count its sessions.
    let idleFanOut = IdleFanOut()

    /// A server on `store`, checking logins against `users` and serving the mailboxes of `folders` (by
    /// default the store's own).
    public convenience init(
        configuration: Configuration,
        store: MailStore,
        users: (any UserDirectory)? = nil,
        folders: (any MailboxDirectory)? = nil,
        newsgroups: (any NewsgroupStore)? = nil,
        tlsContext: NIOSSLContext?,
        group: any EventLoopGroup,
        logger: Logger
    ) {
        self.init(
            configuration: configuration,
            store: store,
            users: users,
            folders: folders,
            newsgroups: newsgroups,
            tls: tlsContext.map { Reloadable($0) },
            group: group,
            logger: logger
        )
    }

    /// As above, with a TLS context that can be replaced while the server runs: each new connection
    /// (and each STARTTLS on it) uses the context current when it was accepted.
    public init(
        configuration: Configuration,
        store: MailStore,
        users: (any UserDirectory)? = nil,
        folders: (any MailboxDirectory)? = nil,
        newsgroups: (any NewsgroupStore)? = nil,
        tls: Reloadable<NIOSSLContext>?,
        group: any EventLoopGroup,
        logger: Logger
    ) {
        self.settings = Reloadable(configuration)
        self.store = store
        self.users = users ?? store
        self.folders = folders ?? store
        self.newsgroups = newsgroups ?? store
        self.tls = tls
        self.group = group
        self.logger = logger
        self.registry = ConnectionRegistry(
            maximumTotal: configuration.maxConnections,
            maximumPerAddress: configuration.maxConnectionsPerAddress
        )
    }

    /// Binds every listener and returns the ports actually bound (useful with port 0), in order.
    public func start(listeners: [Listener]) async throws -> [Int] {
        let opened = try await self.listeners.start(
            listeners,
            service: "IMAP",
            hasCertificate: tls != nil,
            group: group,
            childOptions: {
                $0.childChannelOption(.socketOption(.so_keepalive), value: 1)
                    .childChannelOption(
                        .recvAllocator,
                        value: AdaptiveRecvByteBufferAllocator(
                            minimum: 64,
                            initial: IMAPDefaults.initialReceiveBufferBytes,
                            maximum: 64 * 1024
                        )
                    )
            },
            initialize: { [self] channel, listener in try initialize(channel, kind: listener.kind) }
        )
        for (listener, port) in opened {
            logger.info("IMAP listening", metadata: ["port": "\(port)", "tls": "\(listener.kind.name)"])
        }
        return opened.map(\.port)
    }

    /// Stops accepting connections, closes the listeners, then says BYE to and closes every open session.
    public func shutdown() async throws {
        await listeners.closeAll()
        await registry.closeAll(saying: "* BYE Server shutting down\r\n")
        await store.writeCaches()
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
                // RFC 3501 7.1.5: BYE, the server is closing the connection.
                refusal: "* BYE Too many connections; try again later\r\n"
            )
        else {
            return logger.notice(
                "connection refused: too many connections",
                metadata: [LogKey.remoteAddress: "\(ClientAddress.normalized(channel.remoteAddress?.ipAddress))"]
            )
        }
        var connectionLogger = logger
        connectionLogger[metadataKey: LogKey.session] = "imap-\(id)"
        connectionLogger[metadataKey: LogKey.remoteAddress] = "\(address)"
        connectionLogger[metadataKey: LogKey.protocol] = "\(kind == .implicitTLS ? "imaps" : "imap")"
        let session = IMAPSessionConfiguration(
            isTLS: kind == .implicitTLS,
            startTLSAvailable: tlsContext != nil && kind == .startTLS,
            allowPlaintextAuth: configuration.allowPlaintextAuth,
            condStore: true,
            appendLimit: configuration.appendLimit,
            maxFailedLogins: configuration.maxFailedLogins,
            failedLoginDelayMilliseconds: configuration.failedLoginDelayMilliseconds,
            serverName: configuration.serverName
        )
        let executor = MailStoreExecutor(
            store: store,
            users: users,
            folders: folders,
            newsgroups: newsgroups,
            logins: configuration.logins,
            newsPosting: configuration.newsPosting,
            clientAddress: address,
            idleFanOut: idleFanOut,
            runsOn: channel.eventLoop,
            logger: connectionLogger
        )
        let meter = ConnectionMeter(protocol: kind == .implicitTLS ? "imaps" : "imap")
        let handler = IMAPChannelHandler(
            configuration: session,
            executor: executor,
            tlsContext: tlsContext,
            defences: configuration.defences,
            logger: connectionLogger
        )
        handler.meter = meter
        try sync.addHandlers(meter, handler)
    }
}

import Foundation
import Logging
import MailStore
import NIOCore
import NIOPosix
import NIOSSL

/// The IMAP server: listeners on which each connection gets a session over the shared `MailStore`.
///
/// ```swift
/// let server = IMAPServer(configuration: .init(), store: store, tlsContext: tls, group: group, logger: logger)
/// let ports = try await server.start(listeners: [.init(kind: .startTLS, host: "0.0.0.0", port: 1143)])
/// …
/// try await server.shutdown()
/// ```
public final class IMAPServer: Sendable {
    public struct Configuration: Sendable {
        /// Allow LOGIN / AUTHENTICATE PLAIN before TLS (`--allow-plaintext-auth`).
        public var allowPlaintextAuth: Bool
        public var appendLimit: Int
        public var maxFailedLogins: Int
        public var failedLoginDelayMilliseconds: Int
        public var serverName: String
        /// Connections at once over all IMAP listeners; more get `* BYE` and are closed.
        public var maxConnections: Int
        /// Connections at once from one client address.
        public var maxConnectionsPerAddress: Int
        /// Timeouts and the shared failed-login throttle.
        public var defences: IMAPChannelHandler.Defences

        public init(
            allowPlaintextAuth: Bool = false,
            appendLimit: Int = IMAPDefaults.appendLimit,
            maxFailedLogins: Int = IMAPDefaults.maxFailedLogins,
            failedLoginDelayMilliseconds: Int = IMAPDefaults.failedLoginDelayMilliseconds,
            serverName: String = "correo",
            maxConnections: Int = IMAPDefaults.maxConnections,
            maxConnectionsPerAddress: Int = IMAPDefaults.maxConnectionsPerAddress,
            defences: IMAPChannelHandler.Defences = .init()
        ) {
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
    public struct Listener: Sendable {
        public enum Kind: Sendable {
            case startTLS
            case implicitTLS
        }
        public var kind: Kind
        public var host: String
        public var port: Int
        public init(kind: Kind, host: String, port: Int) {
            self.kind = kind
            self.host = host
            self.port = port
        }
    }

    public enum ServerError: Error, CustomStringConvertible {
        case implicitTLSWithoutCertificate
        public var description: String {
            switch self {
            case .implicitTLSWithoutCertificate: "An implicit-TLS IMAP listener needs a TLS certificate"
            }
        }
    }

    private let configuration: Configuration
    private let store: MailStore
    private let users: Users
    private let tlsContext: NIOSSLContext?
    private let group: any EventLoopGroup
    private let logger: Logger
    private let channels = Locked<[any Channel]>([])
    private let connectionCounter = Locked<UInt64>(0)
    private let connections = Locked<[UInt64: any Channel]>([:])
    private let counter: IMAPConnectionCounter

    public init(
        configuration: Configuration,
        store: MailStore,
        users: Users? = nil,
        tlsContext: NIOSSLContext?,
        group: any EventLoopGroup,
        logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.users = users ?? store.users
        self.tlsContext = tlsContext
        self.group = group
        self.logger = logger
        self.counter = IMAPConnectionCounter(
            maximumTotal: configuration.maxConnections,
            maximumPerAddress: configuration.maxConnectionsPerAddress
        )
    }

    /// Binds every listener and returns the ports actually bound (useful with port 0), in order.
    public func start(listeners: [Listener]) async throws -> [Int] {
        var ports: [Int] = []
        for listener in listeners {
            if listener.kind == .implicitTLS && tlsContext == nil { throw ServerError.implicitTLSWithoutCertificate }
            let channel = try await bootstrap(for: listener.kind).bind(host: listener.host, port: listener.port).get()
            channels.withLock { $0.append(channel) }
            let port = channel.localAddress?.port ?? listener.port
            ports.append(port)
            logger.info(
                "IMAP listening",
                metadata: ["port": "\(port)", "tls": "\(listener.kind == .implicitTLS ? "implicit" : "starttls")"]
            )
        }
        return ports
    }

    /// Stops accepting connections, closes the listeners, then says BYE to and closes every open session.
    public func shutdown() async throws {
        let listeners = channels.withLock { channels in
            defer { channels.removeAll() }
            return channels
        }
        for channel in listeners { try? await channel.close() }
        let open = connections.withLock { Array($0.values) }
        for channel in open {
            var bye = channel.allocator.buffer(capacity: 32)
            bye.writeString("* BYE Server shutting down\r\n")
            try? await channel.writeAndFlush(bye)
            try? await channel.close()
        }
        await store.writeCaches()
    }

    /// Number of client connections open now.
    public var connectionCount: Int { connections.withLock { $0.count } }

    private func bootstrap(for kind: Listener.Kind) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.initialize(channel, kind: kind)
                }
            }
    }

    private func initialize(_ channel: any Channel, kind: Listener.Kind) throws {
        let sync = channel.pipeline.syncOperations
        let address = channel.remoteAddress?.ipAddress ?? "unknown"
        if kind == .implicitTLS, let tlsContext {
            try sync.addHandler(NIOSSLServerHandler(context: tlsContext))
        }
        guard counter.admit(address: address) else {
            logger.notice("connection refused: too many connections", metadata: ["remote": "\(address)"])
            return try sync.addHandler(IMAPRefusingHandler())
        }
        channel.closeFuture.whenComplete { [counter] _ in counter.release(address: address) }
        let id = connectionCounter.withLock { counter in
            counter += 1
            return counter
        }
        connections.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [connections] _ in
            _ = connections.withLock { $0.removeValue(forKey: id) }
        }
        var connectionLogger = logger
        connectionLogger[metadataKey: "connection"] = "imap-\(id)"
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
        let executor = MailStoreExecutor(store: store, users: users, logger: connectionLogger)
        try sync.addHandler(
            IMAPChannelHandler(
                configuration: session,
                executor: executor,
                tlsContext: tlsContext,
                defences: configuration.defences,
                logger: connectionLogger
            )
        )
    }
}

/// A value behind a lock, for the little shared state of the server object.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

import NIOCore
import NIOPosix
import Synchronization

/// The listening sockets of one server: opened all or none, closed together at shutdown.
///
/// ```swift
/// let opened = try await listeners.open(wanted) { listener in
///     try await ServerBootstrap.listening(group: group).childChannelInitializer { … }
///         .bind(host: listener.host, port: listener.port).get()
/// }
/// // … at shutdown:
/// await listeners.closeAll()
/// ```
public final class Listeners: Sendable {
    private let channels = Mutex<[any Channel]>([])

    /// No socket open yet.
    public init() {}

    /// Binds each of `listeners` in order with `bind`, and returns each with its channel.
    ///
    /// A channel's `localAddress` tells the port bound for port 0. When one cannot be opened, the ones
    /// this call opened are closed again and the error is thrown, so that a half-started server
    /// listens nowhere.
    public func open<Listener>(
        _ listeners: [Listener],
        bind: (Listener) async throws -> any Channel
    ) async throws -> [(listener: Listener, channel: any Channel)] {
        var opened: [(listener: Listener, channel: any Channel)] = []
        do {
            for listener in listeners { opened.append((listener, try await bind(listener))) }
        } catch {
            for entry in opened { try? await entry.channel.close() }
            throw error
        }
        let channels = opened.map(\.channel)
        self.channels.withLock { $0 += channels }
        return opened
    }

    /// Closes every listening socket; open connections are the server's to end.
    public func closeAll() async {
        let listening = channels.withLock { channels in
            defer { channels = [] }
            return channels
        }
        for channel in listening { try? await channel.close() }
    }
}

/// A place to listen: the address to bind and the port (0: any free one).
public protocol ListenerAddress: Sendable {
    /// The address to bind.
    var host: String { get }
    /// The port; 0 lets the kernel choose.
    var port: Int { get }
}

/// A listener that is nothing but its address, for a server with one kind of port (HTTP).
public struct HostPort: ListenerAddress, Equatable {
    /// The address to bind.
    public var host: String
    /// The port; 0 lets the kernel choose.
    public var port: Int

    /// `host`:`port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

extension Listeners {
    /// The start of every correo server: opens `listeners` all or none (see `open(_:bind:)`) on
    /// `ServerBootstrap.listening`, with the server's own child channel options from `childOptions`,
    /// and `initialize` setting up each accepted connection for the listener that accepted it.
    ///
    /// Returns each listener with the port bound (the kernel's choice for port 0).
    public func start<Listener: ListenerAddress>(
        _ listeners: [Listener],
        group: any EventLoopGroup,
        childOptions: (ServerBootstrap) -> ServerBootstrap = { $0 },
        initialize: @escaping @Sendable (any Channel, Listener) throws -> Void
    ) async throws -> [(listener: Listener, port: Int)] {
        try await open(listeners) { listener in
            try await childOptions(ServerBootstrap.listening(group: group))
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try initialize(channel, listener) }
                }
                .bind(host: listener.host, port: listener.port)
                .get()
        }
        .map { ($0.listener, $0.channel.localAddress?.port ?? $0.listener.port) }
    }
}

extension ServerBootstrap {
    /// A bootstrap with what every correo listener sets: a backlog of 256 and `SO_REUSEADDR`, so that a
    /// restarted server binds its port while old connections are in TIME_WAIT.
    public static func listening(group: any EventLoopGroup) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    }
}

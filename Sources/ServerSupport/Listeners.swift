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

extension ServerBootstrap {
    /// A bootstrap with what every correo listener sets: a backlog of 256 and `SO_REUSEADDR`, so that a
    /// restarted server binds its port while old connections are in TIME_WAIT.
    public static func listening(group: any EventLoopGroup) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    }
}

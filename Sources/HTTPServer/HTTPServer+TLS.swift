import NIOCore
import NIOSSL
import ServerSupport

/// How a listener faces its clients: plain HTTP on loopback for the operator's tools, or HTTPS to the
/// internet (MTA-STS policies, mail-client autoconfiguration), where caps and time-outs matter.
public struct HTTPListenerOptions: Sendable {
    /// TLS from the first octet, with the context the holder has when a connection is accepted (SIGHUP
    /// replaces it, as for SMTP and IMAP); nil serves plain HTTP.
    public var tls: Reloadable<NIOSSLContext>?
    /// Connections at once.
    public var maximumConnections: Int
    /// Connections at once from one address.
    public var maximumConnectionsPerAddress: Int
    /// The largest request body read (an autodiscover request is well under 1 KiB); a larger one gets
    /// 413 and the connection is closed.
    public var maximumBodyBytes: Int
    /// A connection that sends nothing for this long is closed (slow handshakes and idle keep-alives
    /// included); nil never closes one.
    public var idleTimeout: TimeAmount?

    /// Options; the defaults are the operator's loopback listener's.
    public init(
        tls: Reloadable<NIOSSLContext>? = nil,
        maximumConnections: Int = 32,
        maximumConnectionsPerAddress: Int? = nil,
        maximumBodyBytes: Int = 16 * 1024,
        idleTimeout: TimeAmount? = nil
    ) {
        self.tls = tls
        self.maximumConnections = maximumConnections
        self.maximumConnectionsPerAddress = maximumConnectionsPerAddress ?? maximumConnections
        self.maximumBodyBytes = maximumBodyBytes
        self.idleTimeout = idleTimeout
    }
}

extension HTTPServer {
    /// Puts the time-out (first, so that it counts the handshake too) and the TLS handler in front of
    /// the HTTP codec, as `options` ask.
    func addTLSAndTimeout(_ options: HTTPListenerOptions, to sync: ChannelPipeline.SynchronousOperations) throws {
        if let idleTimeout = options.idleTimeout {
            try sync.addHandler(IdleStateHandler(readTimeout: idleTimeout))
            try sync.addHandler(CloseOnIdle())
        }
        if let tls = options.tls {
            try sync.addHandler(NIOSSLServerHandler(context: tls.current))
        }
    }
}

/// Closes the connection when `IdleStateHandler` says nothing was read for the time-out.
final class CloseOnIdle: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

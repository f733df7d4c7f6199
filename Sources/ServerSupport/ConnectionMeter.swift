import CoreMetrics
import NIOCore
import NIOSSL
import NIOTLS

/// Watches one connection for the operator: the octets it reads and writes (the logout line's
/// `bytes_in`/`bytes_out`), and, as metrics, the session itself and the outcome of its TLS handshake.
///
/// It sits just in front of the protocol handler, behind any TLS handler (even one STARTTLS adds
/// later), so it counts the protocol's own bytes, not TLS records, and sees the TLS handler's
/// handshake event and errors pass. Used on the channel's event loop only.
///
/// Metrics (through swift-metrics; nothing is recorded until the process bootstraps a backend):
/// `correo_sessions_total{protocol}`, `correo_sessions_open{protocol}`,
/// `correo_tls_handshakes_total{protocol,result="ok|failed"}`.
public final class ConnectionMeter: ChannelDuplexHandler, RemovableChannelHandler {
    /// Reads octets, to count them.
    public typealias InboundIn = ByteBuffer
    /// Passes the octets read on unchanged.
    public typealias InboundOut = ByteBuffer
    /// Writes octets, to count them.
    public typealias OutboundIn = ByteBuffer
    /// Passes the octets written on unchanged.
    public typealias OutboundOut = ByteBuffer

    /// Octets read so far.
    public private(set) var bytesIn = 0
    /// Octets handed to the socket (or TLS) so far.
    public private(set) var bytesOut = 0
    private let protocolName: String
    private var open = false
    private var handshakeCounted = false
    /// Whether a TLS handshake on this connection has completed (`TLSUserEvent.handshakeCompleted`
    /// passed): until then the connection is not encrypted, whatever the TLS handler would report.
    public private(set) var tlsHandshakeCompleted = false

    /// A meter for a session of `protocolName` (smtp, submission, smtps, imap, imaps).
    public init(protocol protocolName: String) {
        self.protocolName = protocolName
    }

    /// Counts the session as started and open.
    public func handlerAdded(context: ChannelHandlerContext) {
        open = true
        Counter(label: "correo_sessions_total", dimensions: [("protocol", protocolName)]).increment()
        Meter(label: "correo_sessions_open", dimensions: [("protocol", protocolName)]).increment()
    }

    /// Counts the session as closed, if the channel has not already gone inactive.
    public func handlerRemoved(context: ChannelHandlerContext) {
        closed()
    }

    /// Counts the session as closed, then passes the event on.
    public func channelInactive(context: ChannelHandlerContext) {
        closed()
        context.fireChannelInactive()
    }

    private func closed() {
        guard open else { return }
        open = false
        Meter(label: "correo_sessions_open", dimensions: [("protocol", protocolName)]).decrement()
    }

    /// Counts the octets read, then passes them on.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytesIn += unwrapInboundIn(data).readableBytes
        context.fireChannelRead(data)
    }

    /// Counts the octets written, then passes them on.
    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        bytesOut += unwrapOutboundIn(data).readableBytes
        context.write(data, promise: promise)
    }

    /// Counts a completed TLS handshake, then passes the event on.
    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            tlsHandshakeCompleted = true
            handshake(ok: true)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Counts a TLS error as a failed handshake (unless one completed), then passes the error on.
    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError { handshake(ok: false) }
        context.fireErrorCaught(error)
    }

    /// Counts the first outcome only: errors after a completed handshake (an unclean shutdown) are not
    /// handshake failures.
    private func handshake(ok: Bool) {
        guard !handshakeCounted else { return }
        handshakeCounted = true
        Counter(
            label: "correo_tls_handshakes_total",
            dimensions: [("protocol", protocolName), ("result", ok ? "ok" : "failed")]
        ).increment()
    }
}

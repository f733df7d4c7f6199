import NIOCore

/// Answers a connection over the connection caps with one line of the protocol's own refusal (SMTP
/// `421 4.7.0`, RFC 5321 3.8; IMAP `* BYE`, RFC 3501 7.1.5) and closes it; whatever the client sends
/// meanwhile is ignored.
public final class RefusingHandler: ChannelInboundHandler {
    /// Octets from the client, ignored.
    public typealias InboundIn = ByteBuffer
    /// The refusal line.
    public typealias OutboundOut = ByteBuffer
    private let answer: ByteBuffer
    private var refused = false

    /// A handler that writes `answer` (a whole line with its CRLF) once the connection is active.
    public init(answer: ByteBuffer) { self.answer = answer }

    /// A handler that writes `answer` (a whole line with its CRLF) once the connection is active.
    public convenience init(answer: String) { self.init(answer: ByteBuffer(string: answer)) }

    /// Refuses at once when added to a channel that is already active (the child initializer runs after accept).
    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context: context) }
    }

    /// Refuses when the channel becomes active (after an implicit-TLS handler in front of it).
    public func channelActive(context: ChannelHandlerContext) {
        refuse(context: context)
    }

    /// Drops what the client sends: it gets no answer but the refusal.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(context: ChannelHandlerContext) {
        guard !refused else { return }
        refused = true
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(answer)).whenComplete { _ in bound.value.close(promise: nil) }
    }
}

@available(*, unavailable)
extension RefusingHandler: Sendable {}

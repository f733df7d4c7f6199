import NIOCore

/// Open connections per client address and in total, for the connection limits.
final class IMAPConnectionCounter: Sendable {
    private struct Counts {
        var total = 0
        var perAddress: [String: Int] = [:]
    }
    private let counts = Locked(Counts())
    private let maximumTotal: Int
    private let maximumPerAddress: Int

    init(maximumTotal: Int, maximumPerAddress: Int) {
        self.maximumTotal = maximumTotal
        self.maximumPerAddress = maximumPerAddress
    }

    /// Counts a new connection from `address`; false (and nothing counted) when a limit is reached.
    func admit(address: String) -> Bool {
        counts.withLock { counts in
            guard counts.total < maximumTotal, counts.perAddress[address, default: 0] < maximumPerAddress
            else { return false }
            counts.total += 1
            counts.perAddress[address, default: 0] += 1
            return true
        }
    }

    /// Forgets a connection that `admit` counted.
    func release(address: String) {
        counts.withLock { counts in
            counts.total -= 1
            counts.perAddress[address, default: 1] -= 1
            if counts.perAddress[address] == 0 { counts.perAddress[address] = nil }
        }
    }
}

/// Answers a connection over the limits with `* BYE` (RFC 3501 7.1.5: the server is closing) and closes.
final class IMAPRefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var refused = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context: context)
    }

    private func refuse(context: ChannelHandlerContext) {
        guard !refused else { return }
        refused = true
        var buffer = context.channel.allocator.buffer(capacity: 64)
        buffer.writeString("* BYE Too many connections; try again later\r\n")
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in bound.value.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

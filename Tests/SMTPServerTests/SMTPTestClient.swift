import NIOCore
import NIOPosix
import SMTPCore

/// A minimal SMTP client over a real socket, for tests that need to control timing themselves
/// (shutdown in the middle of a transaction, connection limits).
struct SMTPTestClient {
    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func connect(port: Int) async throws -> SMTPTestClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return SMTPTestClient(channel: channel)
    }

    /// Runs `body` with a reader of replies and a writer, then closes the connection.
    func conversation<T>(
        _ body: (inout ReplyReader, NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws -> T
    ) async throws -> T {
        try await channel.executeThenClose { inbound, outbound in
            var reader = ReplyReader(iterator: inbound.makeAsyncIterator())
            return try await body(&reader, outbound)
        }
    }

    struct ReplyReader {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var framer = SMTPLineFramer(maximumLineLength: SMTPDefaults.replyLineLength)
        var parser = SMTPReplyParser()

        /// The next reply, or nil when the server closed the connection.
        mutating func next() async throws -> SMTPReply? {
            while true {
                while let frame = framer.nextLine() {
                    guard case .line(let line) = frame else { continue }
                    if let reply = try parser.parse(line: line.readableBytesView) { return reply }
                }
                guard let bytes = try await iterator.next() else { return nil }
                framer.append(bytes)
            }
        }
    }
}

extension NIOAsyncChannelOutboundWriter<ByteBuffer> {
    func send(_ text: String) async throws { try await write(ByteBuffer(string: text)) }
}

import NIOCore
import NIOSSL

/// The first steps every mail listener takes with an accepted connection, and its last words at shutdown.
extension ConnectionRegistry {
    /// Admits an accepted connection under the caps, behind TLS on an implicit-TLS port.
    ///
    /// TLS goes first (`implicitTLS`; nil on a plain or STARTTLS port), so that a refusal too is sent
    /// inside it. Over a cap, the connection gets `refusal` (one line of the protocol's own) and is
    /// closed, and nil is returned, so that the caller only logs.
    ///
    /// - Returns: the connection's number in this registry and its client address
    ///   (`ClientAddress.normalized`), or nil when refused.
    public func admit(
        _ channel: any Channel,
        implicitTLS: NIOSSLContext?,
        refusal: @autoclosure () -> String
    ) throws -> (number: Int, address: String)? {
        let sync = channel.pipeline.syncOperations
        if let implicitTLS { try sync.addHandler(NIOSSLServerHandler(context: implicitTLS)) }
        let address = ClientAddress.normalized(channel.remoteAddress?.ipAddress)
        guard let number = admit(channel, address: address) else {
            try sync.addHandler(RefusingHandler(answer: refusal()))
            return nil
        }
        return (number, address)
    }

    /// Stops admitting, then writes `farewell` (a whole line with its CRLF: IMAP's `* BYE`, NNTP's `400`)
    /// to every open connection and closes it.
    public func closeAll(saying farewell: String) async {
        for channel in stopAccepting() {
            try? await channel.writeAndFlush(ByteBuffer(string: farewell))
            try? await channel.close()
        }
    }
}

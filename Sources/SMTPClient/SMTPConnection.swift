import NIOCore
import SMTPCore

/// An open SMTP session, ready for messages.
///
/// Messages sent at once are queued and go one after another.
public final class SMTPConnection: Sendable {
    struct Session: Sendable {
        var handler: NIOLoopBound<SMTPClientHandler>
        var capabilities: SMTPExtensions
        var isTLSActive: Bool
    }

    private let channel: any Channel
    private let handler: NIOLoopBound<SMTPClientHandler>

    /// What the server offered in its last EHLO reply (after STARTTLS, if used).
    public let capabilities: SMTPExtensions
    /// Whether the session runs over TLS.
    public let isTLSActive: Bool

    init(channel: any Channel, session: Session) {
        self.channel = channel
        self.handler = session.handler
        self.capabilities = session.capabilities
        self.isTLSActive = session.isTLSActive
    }

    /// Sends one message: MAIL FROM, RCPT TO for each recipient, DATA and the message, dot-stuffed.
    ///
    /// The server must accept at least one recipient; those it refused are in the result with their reply.
    /// A refused message leaves the connection usable for the next (the client sends RSET first).
    ///
    /// - Parameters:
    ///   - from: the envelope sender (reverse-path); "" for the null sender.
    ///   - recipients: the envelope recipients (forward-paths).
    ///   - message: the RFC 5322 message; line ends are sent as CRLF.
    /// - Throws: `SMTPClientError`: `.senderRejected`, `.allRecipientsRejected`, `.dataRejected` with the
    ///   server's reply; `.messageTooLarge`, `.eightBitMIMENotOffered`, `.smtpUTF8NotOffered` before sending.
    public func send(
        from: String,
        recipients: [String],
        message: [UInt8],
        dsn: SMTPDSNRequest? = nil
    ) async throws(SMTPClientError) -> SendResult {
        var envelope = Self.envelope(from: from, recipients: recipients, message: message)
        envelope.dsn = dsn
        let handler = self.handler
        let future = channel.eventLoop.flatSubmit { () -> EventLoopFuture<SendResult> in
            let promise = handler.value.eventLoopPromise(of: SendResult.self)
            handler.value.enqueue(.send(envelope, promise))
            return promise.futureResult
        }
        do {
            return try await future.get()
        } catch let error as SMTPClientError {
            throw error
        } catch {
            throw .connectionClosed
        }
    }

    /// Whether the connection is still open (a server may close an idle session at any time).
    public var isOpen: Bool { channel.isActive }

    /// Ends the session with QUIT and closes the connection; waits for messages already handed over.
    public func close() async {
        let handler = self.handler
        let channel = self.channel
        let future = channel.eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            let promise = channel.eventLoop.makePromise(of: Void.self)
            handler.value.enqueue(.quit(promise))
            return promise.futureResult
        }
        try? await future.get()
        try? await channel.close()
    }

    /// The message in its wire form with what it needs from the server.
    static func envelope(from: String, recipients: [String], message: [UInt8]) -> SMTPClientStateMachine.Envelope {
        let headerEnd = headerSectionLength(message)
        let addressesNeedUTF8 = ([from] + recipients).contains { $0.utf8.contains { $0 >= 0x80 } }
        return SMTPClientStateMachine.Envelope(
            from: from,
            recipients: recipients,
            wireMessage: MessageWireForm.encode(message),
            size: message.count,
            needsEightBit: message.contains { $0 >= 0x80 },
            needsSMTPUTF8: addressesNeedUTF8 || message[..<headerEnd].contains { $0 >= 0x80 }
        )
    }

    /// The length of the header section: up to the first empty line.
    static func headerSectionLength(_ message: [UInt8]) -> Int {
        var index = 0
        var lineStart = true
        while index < message.count {
            let byte = message[index]
            if lineStart
                && (byte == UInt8(ascii: "\n")
                    || (byte == UInt8(ascii: "\r")
                        && index + 1 < message.count && message[index + 1] == UInt8(ascii: "\n")))
            {
                return index
            }
            lineStart = byte == UInt8(ascii: "\n")
            index += 1
        }
        return message.count
    }
}

extension SMTPClientHandler {
    /// A promise on this handler's event loop.
    func eventLoopPromise<T>(of type: T.Type) -> EventLoopPromise<T> {
        readyPromise.futureResult.eventLoop.makePromise(of: type)
    }
}

import SMTPCore

/// Why the client could not connect, authenticate or send.
///
/// Every case that comes from the server carries its reply, exact text included.
public enum SMTPClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The connection failed once open (reset, an unusable TLS configuration), in the system's words.
    case connectionFailed(String)
    /// The TCP connection to `host`:`port` could not be opened.
    case cannotConnect(host: String, port: Int, reason: ConnectFailure)
    /// The TLS handshake (implicit or after STARTTLS) failed.
    case tlsHandshakeFailed(TLSFailure)
    /// The server closed the connection when a reply was due.
    case connectionClosed
    /// No reply came in time.
    case timeout
    /// The server's greeting was not 220 (RFC 5321 §4.3.1 allows 554: "no SMTP service here").
    case greetingRejected(SMTPReply)
    /// Both EHLO and HELO were refused.
    case heloRejected(SMTPReply)
    /// STARTTLS is required and the server did not offer it.
    case startTLSNotOffered
    /// STARTTLS is required and the server refused it.
    case startTLSRejected(SMTPReply)
    /// The server sent more bytes after its 220 to STARTTLS, before TLS began: a command-injection attempt
    /// (RFC 3207 §6 says such data must be discarded; the client stops instead).
    case dataBeforeTLS
    /// Credentials were given and the server offers no AUTH.
    case authenticationNotOffered
    /// The server offers no SASL mechanism this client knows.
    case authenticationMechanismsUnsupported(offered: [String])
    /// Credentials would go over a connection without TLS and that was not allowed.
    case authenticationRequiresTLS
    /// The server refused the credentials.
    case authenticationFailed(SMTPReply)
    /// The message is larger than the server's SIZE limit.
    case messageTooLarge(size: Int, limit: Int)
    /// The message holds 8-bit data and the server does not offer 8BITMIME.
    case eightBitMIMENotOffered
    /// An address or header holds UTF-8 and the server does not offer SMTPUTF8.
    case smtpUTF8NotOffered
    /// An envelope address cannot be written in a command (empty, too long, or with CR, LF, "<" or ">").
    case invalidAddress(String)
    /// No recipients were given.
    case noRecipients
    /// MAIL FROM was refused.
    case senderRejected(SMTPReply)
    /// Every RCPT TO was refused; each recipient with its reply.
    case allRecipientsRejected([RecipientResult])
    /// DATA, or the message after it, was refused.
    case dataRejected(SMTPReply)
    /// The server said it is closing the connection (421, RFC 5321 §3.8).
    case serviceNotAvailable(SMTPReply)
    /// The server's reply made no sense at this point.
    case unexpectedReply(SMTPReply)
    /// The server's bytes were not SMTP replies.
    case malformedReply(String)
    /// The connection was closed by `close()`, or failed earlier.
    case connectionUnusable

    /// Whether trying again later may succeed: a 4yz reply, a timeout or a lost connection.
    public var isTransient: Bool {
        switch self {
        case .connectionFailed, .connectionClosed, .timeout, .serviceNotAvailable: true
        case .cannotConnect(_, _, let reason): reason != .unknownHost
        case .greetingRejected(let reply), .heloRejected(let reply), .senderRejected(let reply),
            .dataRejected(let reply), .authenticationFailed(let reply), .startTLSRejected(let reply):
            reply.isTransientFailure
        case .allRecipientsRejected(let results): results.allSatisfy { $0.reply.isTransientFailure }
        default: false
        }
    }

    /// Whether the connection can still carry another message after this error.
    public var leavesConnectionUsable: Bool {
        switch self {
        case .messageTooLarge, .eightBitMIMENotOffered, .smtpUTF8NotOffered, .invalidAddress, .noRecipients,
            .senderRejected, .allRecipientsRejected, .dataRejected:
            true
        default: false
        }
    }

    /// The server reply behind the error, if there is one.
    public var reply: SMTPReply? {
        switch self {
        case .greetingRejected(let reply), .heloRejected(let reply), .startTLSRejected(let reply),
            .authenticationFailed(let reply), .senderRejected(let reply), .dataRejected(let reply),
            .serviceNotAvailable(let reply), .unexpectedReply(let reply):
            reply
        case .allRecipientsRejected(let results): results.first?.reply
        default: nil
        }
    }

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .connectionFailed(let why): "the connection failed: \(why)"
        case .cannotConnect(let host, let port, let reason): "could not connect to \(host):\(port): \(reason)"
        case .tlsHandshakeFailed(let reason): "the TLS handshake failed: \(reason)"
        case .connectionClosed: "the server closed the connection"
        case .timeout: "the server did not answer in time"
        case .greetingRejected(let reply): "the server refused the connection: \(reply)"
        case .heloRejected(let reply): "the server refused EHLO and HELO: \(reply)"
        case .startTLSNotOffered: "the server does not offer STARTTLS (use --tls none to send in the clear)"
        case .startTLSRejected(let reply): "the server refused STARTTLS: \(reply)"
        case .dataBeforeTLS: "the server sent data before the TLS handshake; stopping"
        case .authenticationNotOffered: "the server does not offer AUTH"
        case .authenticationMechanismsUnsupported(let offered):
            "no supported AUTH mechanism (server offers: \(offered.joined(separator: " ")))"
        case .authenticationRequiresTLS: "refusing to send a password without TLS"
        case .authenticationFailed(let reply): "authentication failed: \(reply)"
        case .messageTooLarge(let size, let limit): "the message is \(size) bytes; the server takes at most \(limit)"
        case .eightBitMIMENotOffered: "the message has 8-bit data and the server does not offer 8BITMIME"
        case .smtpUTF8NotOffered: "the message needs SMTPUTF8 and the server does not offer it"
        case .invalidAddress(let address): "cannot use \"\(address)\" as an envelope address"
        case .noRecipients: "no recipients"
        case .senderRejected(let reply): "MAIL FROM refused: \(reply)"
        case .allRecipientsRejected(let results):
            "all recipients refused: " + results.map { "\($0.address): \($0.reply)" }.joined(separator: "; ")
        case .dataRejected(let reply): "message refused: \(reply)"
        case .serviceNotAvailable(let reply): "the server is closing the connection: \(reply)"
        case .unexpectedReply(let reply): "unexpected reply: \(reply)"
        case .malformedReply(let error): "malformed reply from the server: \(error)"
        case .connectionUnusable: "the connection is closed"
        }
    }
}

/// A client command (RFC 5321 4.1 and the extensions correo supports).
public enum SMTPCommand: Hashable, Sendable {
    /// RFC 5321 4.1.1.1: the client's domain or address literal.
    case ehlo(String)
    case helo(String)
    /// RFC 5321 4.1.1.2.
    case mailFrom(SMTPReversePath, SMTPMailParameters)
    /// RFC 5321 4.1.1.3.
    case rcptTo(SMTPForwardPath, SMTPRecipientParameters)
    /// RFC 5321 4.1.1.4.
    case data
    /// RFC 3030 2: a chunk of `size` octets follows the command line; `last` ends the message.
    case bdat(size: Int, last: Bool)
    case rset
    /// The optional argument is ignored by servers.
    case noop(String?)
    case quit
    case vrfy(String)
    case expn(String)
    case help(String?)
    /// RFC 3207.
    case startTLS
    /// RFC 4954 4: the SASL mechanism (upper-cased) and the optional base64 initial response
    /// (`=` for an empty one, kept as sent).
    case auth(mechanism: String, initialResponse: String?)

    /// The command verb, for logs and replies.
    public var verb: String {
        switch self {
        case .ehlo: "EHLO"
        case .helo: "HELO"
        case .mailFrom: "MAIL"
        case .rcptTo: "RCPT"
        case .data: "DATA"
        case .bdat: "BDAT"
        case .rset: "RSET"
        case .noop: "NOOP"
        case .quit: "QUIT"
        case .vrfy: "VRFY"
        case .expn: "EXPN"
        case .help: "HELP"
        case .startTLS: "STARTTLS"
        case .auth: "AUTH"
        }
    }
}

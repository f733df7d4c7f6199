/// Why a command line could not be parsed, each with the reply a server gives for it.
public enum SMTPCommandParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No such command: `500 5.5.2`.
    case unrecognizedCommand
    /// The command is known but its arguments are wrong: `501 5.5.4`.
    case syntax(String)
    /// MAIL FROM's address is malformed: `501 5.1.7`.
    case badSenderAddress(String)
    /// RCPT TO's address is malformed: `501 5.1.3`.
    case badRecipientAddress(String)
    /// A MAIL or RCPT parameter that is unknown or not supported: `555 5.5.4` (RFC 5321 4.1.1.11).
    case unsupportedParameter(String)

    /// The reply a server sends for this error.
    public var reply: SMTPReply {
        switch self {
        case .unrecognizedCommand: SMTPReply(code: 500, EnhancedStatusCode(5, 5, 2), "Command unrecognized")
        case .syntax(let why): SMTPReply(code: 501, EnhancedStatusCode(5, 5, 4), "Syntax error: \(why)")
        case .badSenderAddress(let why):
            SMTPReply(code: 501, EnhancedStatusCode(5, 1, 7), "Bad sender address syntax: \(why)")
        case .badRecipientAddress(let why):
            SMTPReply(code: 501, EnhancedStatusCode(5, 1, 3), "Bad recipient address syntax: \(why)")
        case .unsupportedParameter(let keyword):
            SMTPReply(code: 555, EnhancedStatusCode(5, 5, 4), "Parameter \(keyword) not recognized or not implemented")
        }
    }

    /// The reply's text, as the server would send it.
    public var description: String { reply.description }
}

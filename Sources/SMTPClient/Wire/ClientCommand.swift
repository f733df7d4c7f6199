/// A command the client sends (RFC 5321 §4.1.1, RFC 3207, RFC 4954).
///
/// Interim: SMTPCore will hold the shared command type and encoder; this one is the client's until it lands.
public enum ClientCommand: Hashable, Sendable {
    /// `ehlo = "EHLO" SP ( Domain / address-literal ) CRLF` (RFC 5321 §4.1.1.1)
    case ehlo(String)
    /// `helo = "HELO" SP Domain CRLF` (RFC 5321 §4.1.1.1)
    case helo(String)
    /// `STARTTLS CRLF` (RFC 3207 §4)
    case startTLS
    /// `"AUTH" SP sasl-mech [SP initial-response] CRLF` (RFC 4954 §4)
    case auth(mechanism: String, initialResponse: String?)
    /// A base64 line answering a 334 challenge (RFC 4954 §4).
    case authResponse(String)
    /// `mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF` (RFC 5321 §4.1.1.2)
    case mailFrom(String, parameters: [String])
    /// `rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters] CRLF`
    /// (RFC 5321 §4.1.1.3)
    case rcptTo(String)
    /// `data = "DATA" CRLF` (RFC 5321 §4.1.1.4)
    case data
    /// `rset = "RSET" CRLF` (RFC 5321 §4.1.1.5)
    case rset
    /// `noop = "NOOP" [ SP String ] CRLF` (RFC 5321 §4.1.1.9)
    case noop
    /// `quit = "QUIT" CRLF` (RFC 5321 §4.1.1.10)
    case quit

    /// The command's line, CRLF included.
    var line: String {
        switch self {
        case .ehlo(let domain): "EHLO \(domain)\r\n"
        case .helo(let domain): "HELO \(domain)\r\n"
        case .startTLS: "STARTTLS\r\n"
        case .auth(let mechanism, nil): "AUTH \(mechanism)\r\n"
        case .auth(let mechanism, let response?): "AUTH \(mechanism) \(response)\r\n"
        case .authResponse(let response): "\(response)\r\n"
        case .mailFrom(let path, let parameters): (["MAIL FROM:<\(path)>"] + parameters).joined(separator: " ") + "\r\n"
        case .rcptTo(let path): "RCPT TO:<\(path)>\r\n"
        case .data: "DATA\r\n"
        case .rset: "RSET\r\n"
        case .noop: "NOOP\r\n"
        case .quit: "QUIT\r\n"
        }
    }

    /// The line for logs: AUTH data (credentials) is never shown.
    var redactedForLog: String {
        switch self {
        case .auth(let mechanism, .some): "AUTH \(mechanism) <redacted>"
        case .authResponse: "<redacted>"
        default: String(line.dropLast(2))
        }
    }
}

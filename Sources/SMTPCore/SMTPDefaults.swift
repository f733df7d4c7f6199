/// Every SMTP limit and timeout correo uses, in one place.
///
/// Servers advertise what the protocol lets them (SIZE) and answer each limit with its reply code; tests check each at
/// N (accepted) and N+1 (refused).
public enum SMTPDefaults {
    /// RFC 5321 4.5.3.1.4: a command line is at most 512 octets, including the CRLF.
    public static let commandLineLength = 512
    /// RFC 5321 4.5.3.1.6: a text line (in DATA) is at most 1000 octets, including the CRLF.
    public static let textLineLength = 1000
    /// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets, including the CRLF.
    public static let replyLineLength = 512
    /// RFC 5321 4.5.3.1.1: a local part is at most 64 octets.
    public static let localPartLength = 64
    /// RFC 5321 4.5.3.1.2: a domain is at most 255 octets.
    public static let domainLength = 255
    /// RFC 5321 4.5.3.1.3: a path (with its angle brackets) is at most 256 octets.
    public static let pathLength = 256
    /// RFC 5321 4.5.3.1.8 asks for at least 100; correo takes up to 1,000 recipients per message.
    public static let recipients = 1000
    /// The largest message accepted, advertised with SIZE (RFC 1870): 50 MB.
    public static let messageSize = 50 * 1024 * 1024
    /// RFC 4954 4: SASL response lines may be up to 12,288 octets.
    public static let authLineLength = 12288

    /// RFC 5321 4.5.3.2 timeouts, in seconds.
    public enum Timeout {
        /// 4.5.3.2.1: the client waits this long for the server's 220 greeting.
        public static let initialGreeting: Int64 = 5 * 60
        /// 4.5.3.2.2: the client waits this long for the reply to MAIL.
        public static let mail: Int64 = 5 * 60
        /// 4.5.3.2.3: the client waits this long for the reply to each RCPT.
        public static let rcpt: Int64 = 5 * 60
        /// 4.5.3.2.4: the client waits this long for the 354 reply to DATA.
        public static let dataInitiation: Int64 = 2 * 60
        /// 4.5.3.2.5: the client waits this long for each block of data to be sent (TCP SEND).
        public static let dataBlock: Int64 = 3 * 60
        /// 4.5.3.2.6: the client waits this long for the reply to the final `.`.
        public static let dataTermination: Int64 = 10 * 60
        /// 4.5.3.2.7: the server waits at least this long for the next command or line of data.
        public static let server: Int64 = 5 * 60
    }
}

import SMTPCore

/// Every limit and timeout the SMTP client applies, in one place.
public enum SMTPClientDefaults {
    /// Longest reply line accepted, CRLF included.
    ///
    /// RFC 5321 §4.5.3.1.5 sets 512 octets; servers send longer EHLO lines in practice, so the client is lenient up to
    /// this bound and refuses beyond it.
    public static let maximumReplyLineLength = 4096

    /// Most lines in one multi-line reply (an EHLO reply lists one extension a line).
    public static let maximumReplyLines = 128

    /// Longest envelope address with its brackets (RFC 5321 §4.5.3.1.3).
    public static let maximumPathLength = SMTPDefaults.pathLength

    /// Time allowed to open the TCP connection.
    public static let connectTimeout: Duration = .seconds(30)

    /// Time to wait for the greeting and for each command's reply (RFC 5321 §4.5.3.2: 5 minutes).
    public static let commandTimeout: Duration = .seconds(SMTPDefaults.Timeout.mail)

    /// Time to wait for the reply to the final "." of DATA (RFC 5321 §4.5.3.2.6: 10 minutes).
    public static let dataTerminationTimeout: Duration = .seconds(SMTPDefaults.Timeout.dataTermination)

    /// Requests (messages to send) queued on one connection at a time.
    public static let maximumQueuedRequests = 1024
}

/// The one vocabulary of log metadata keys, shared by every protocol.
///
/// An operator greps for `remote_addr=192.0.2.7` or `queue_id=…` and finds SMTP, IMAP and reload lines
/// alike, and a JSON log has the same field names whichever server wrote the line. README "Logs" lists
/// them with examples.
///
/// Never logged under any key: a password, an AUTH exchange, a message body.
public enum LogKey {
    /// What happened, as a dotted name: `smtp.connect`, `smtp.accepted`, `smtp.refused`, `smtp.auth`,
    /// `smtp.disconnect`, `imap.login`, `imap.logout`, `nntp.connect`, `nntp.login`, `nntp.logout`,
    /// `nntp.disconnect`, `reload`, `reload.tls`, `reload.users`.
    public static let event = "event"
    /// The connection's id, unique in this run (SMTP's is also the prefix of its queue ids).
    public static let session = "session"
    /// The listener's protocol: smtp, submission, smtps, imap, imaps, nntp, nntps.
    public static let `protocol` = "protocol"
    /// The client's IP address (an IPv4-mapped IPv6 address is given as IPv4).
    public static let remoteAddress = "remote_addr"
    /// The name the client gave in HELO/EHLO: its claim, unchecked.
    public static let remoteName = "remote_name"
    /// The TLS version of the connection (`TLSv1.3`), or `none`; on the relay's delivery line still
    /// `true`/`false`, until the SMTP client reports the version it negotiated.
    public static let tls = "tls"
    /// The authenticated user, or the user name a failed login tried.
    public static let user = "user"
    /// The id the client was given in `250 … queued as ID`: for mail delivered locally the Received:
    /// header's id, for mail through the outbound queue the queue's id (`correo queue show ID`).
    public static let queueID = "queue_id"
    /// The envelope sender (MAIL FROM), `<>` for a bounce.
    public static let sender = "from"
    /// The envelope recipients (RCPT TO), a list.
    public static let recipients = "to"
    /// One recipient, in a refusal of RCPT TO.
    public static let recipient = "rcpt"
    /// A message's size in octets as received.
    public static let size = "size"
    /// The message's Message-ID header field, as written (with its angle brackets), or absent.
    public static let messageID = "message_id"
    /// The reply line the client got, such as `550 5.1.1 …`.
    public static let reply = "reply"
    /// Why: a short phrase (`unknown recipient`, `relay denied`, `bad password`).
    public static let reason = "reason"
    /// Whether a login succeeded: `ok`, `failed` or `refused` (throttled).
    public static let result = "result"
    /// A delivery attempt's outcome, in Postfix's words: `sent`, `relayed`, `deferred`, `bounced`.
    public static let status = "status"
    /// The host a delivery attempt went to (MX or smarthost), `none` if none answered.
    public static let relay = "relay"
    /// Octets read from the client (after TLS: the protocol's own bytes).
    public static let bytesIn = "bytes_in"
    /// Octets written to the client (after TLS: the protocol's own bytes).
    public static let bytesOut = "bytes_out"
    /// A file involved (a certificate, the users file).
    public static let file = "file"
    /// How many (users read, recipients…).
    public static let count = "count"
    /// The serial of a certificate now in use, hex.
    public static let certificateSerial = "cert_serial"
    /// The expiry of a certificate now in use, ISO 8601.
    public static let certificateNotAfter = "cert_not_after"
    /// An error's description.
    public static let error = "error"
}

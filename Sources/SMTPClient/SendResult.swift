import SMTPCore

/// One recipient's RCPT TO reply.
public struct RecipientResult: Sendable, Hashable {
    /// The address as given.
    public var address: String
    /// The server's reply to its RCPT TO.
    public var reply: SMTPReply
    /// Whether the server took the recipient (2yz).
    public var accepted: Bool { reply.isPositiveCompletion }

    /// Creates a result.
    public init(address: String, reply: SMTPReply) {
        self.address = address
        self.reply = reply
    }
}

/// What the server said about one message it accepted for at least one recipient.
public struct SendResult: Sendable, Hashable {
    /// The reply to MAIL FROM.
    public var mailReply: SMTPReply
    /// Each recipient's reply, in the order given.
    public var recipients: [RecipientResult]
    /// The reply to the final "." of DATA (usually 250 with the server's queue id).
    public var dataReply: SMTPReply

    /// Creates a result.
    public init(mailReply: SMTPReply, recipients: [RecipientResult], dataReply: SMTPReply) {
        self.mailReply = mailReply
        self.recipients = recipients
        self.dataReply = dataReply
    }

    /// The recipients the server took.
    public var accepted: [RecipientResult] { recipients.filter(\.accepted) }
    /// The recipients the server refused, each with its reply.
    public var rejected: [RecipientResult] { recipients.filter { !$0.accepted } }
}

/// DSN parameters (RFC 3461) for one message, passed on only when the server offers the DSN extension
/// (a relay that received them must; without DSN at the next hop it reports "relayed" itself).
public struct SMTPDSNRequest: Sendable, Hashable {
    /// RET= (RFC 3461 §4.3).
    public var ret: SMTPDSNReturn?
    /// ENVID= (RFC 3461 §4.4).
    public var envelopeID: String?
    /// NOTIFY= and ORCPT= for each recipient, in the order the recipients are given.
    public var recipients: [SMTPRecipientParameters]

    /// Creates a request.
    public init(ret: SMTPDSNReturn? = nil, envelopeID: String? = nil, recipients: [SMTPRecipientParameters]) {
        self.ret = ret
        self.envelopeID = envelopeID
        self.recipients = recipients
    }
}

import SMTPCore

/// A recipient of a message that goes through the outbound queue: one at another domain (authenticated
/// submission), or a local one of such a message.
public struct SMTPEnvelopeRecipient: Hashable, Sendable {
    /// The forward path, `local@domain` with the domain lower-cased.
    public var address: String
    /// The local mailbox, nil for a recipient at another domain.
    public var mailbox: String?
    /// NOTIFY= and ORCPT= (RFC 3461 §4).
    public var parameters: SMTPRecipientParameters

    /// One accepted recipient: the address as given, its local mailbox (nil for a remote one) and
    /// its DSN parameters.
    public init(address: String, mailbox: String?, parameters: SMTPRecipientParameters = SMTPRecipientParameters()) {
        self.address = address
        self.mailbox = mailbox
        self.parameters = parameters
    }
}

/// What the outbound queue needs of a message beyond its bytes (RFC 5321 §3.3 envelope, RFC 3461 DSN).
public struct SMTPEnvelope: Hashable, Sendable {
    /// The reverse path; "" for `<>`.
    public var sender: String
    /// The accepted recipients, in RCPT order.
    public var recipients: [SMTPEnvelopeRecipient]
    /// RET=, ENVID=, BODY=, SMTPUTF8.
    public var parameters: SMTPMailParameters
    /// The AUTH identity of the submitter.
    public var authenticatedUser: String?
    /// The client's IP address.
    public var clientAddress: String

    /// An envelope from its parts, as the session built it.
    public init(
        sender: String,
        recipients: [SMTPEnvelopeRecipient],
        parameters: SMTPMailParameters,
        authenticatedUser: String?,
        clientAddress: String
    ) {
        self.sender = sender
        self.recipients = recipients
        self.parameters = parameters
        self.authenticatedUser = authenticatedUser
        self.clientAddress = clientAddress
    }
}

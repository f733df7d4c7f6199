/// Who handed a message over, as the SMTP conversation told it: what checks of the sender (SPF, DMARC)
/// need at delivery time, for local deliveries as well as queued ones.
public struct SMTPMessageOrigin: Hashable, Sendable {
    /// The client's IP address.
    public var clientAddress: String
    /// The name the client gave in EHLO or HELO, as it gave it (a claim, not checked); "" if none.
    public var heloName: String
    /// The reverse path (MAIL FROM), "" for `<>`.
    public var sender: String
    /// The AUTH identity, nil when the client did not authenticate (mail from outside at the MX).
    public var authenticatedUser: String?

    /// Where a message came from, as the session saw it.
    public init(clientAddress: String, heloName: String, sender: String, authenticatedUser: String?) {
        self.clientAddress = clientAddress
        self.heloName = heloName
        self.sender = sender
        self.authenticatedUser = authenticatedUser
    }
}

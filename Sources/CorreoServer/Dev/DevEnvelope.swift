import Foundation

/// The SMTP envelope of a captured message (what its headers may not say: Bcc recipients, the
/// MAIL FROM), kept beside the store in STORAGE/dev/envelopes/ as one small JSON file per message.
public struct DevEnvelope: Codable, Sendable, Equatable {
    /// MAIL FROM; "" for the null reverse path.
    public var sender: String
    /// RCPT TO, as the mailboxes they were delivered to (lower-cased).
    public var recipients: [String]
    /// The client's address.
    public var client: String

    /// An envelope as the SMTP session recorded it.
    public init(sender: String, recipients: [String], client: String) {
        self.sender = sender
        self.recipients = recipients
        self.client = client
    }
}

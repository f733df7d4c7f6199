import NIOCore

/// Where the SMTP server puts mail: recipient lookup, a message sink, and durable delivery.
///
/// The server knows only this protocol, never the store behind it: CorreoServer's `MailStoreDelivery` is
/// the real one (wired at the top, so a queue can take its place), and tests bring their own.
public protocol SMTPDeliveryTarget: Sendable {
    /// The mailbox that mail for `address` (`local@domain`, domain lower-cased) goes to, or nil when there
    /// is no such user; throws when that cannot be told now (the users' database is down): the client
    /// hears `451 4.3.0` and tries again.
    func mailbox(for address: String) async throws -> String?
    /// The mailbox for `address` when the target can name it from memory at once, without waiting on
    /// anything; nil when it cannot (then `mailbox(for:)` is asked). Never a refusal: only `mailbox(for:)`
    /// may say that there is no such user. Called on an event loop.
    func knownMailbox(for address: String) -> String?
    /// Opens a new message, written as it arrives (never held whole in memory).
    func beginMessage() async throws -> any SMTPIncomingMessage
}

/// A message being received.
///
/// Calls come in order, from one task at a time.
public protocol SMTPIncomingMessage: Sendable {
    /// Appends octets to the message.
    func write(_ bytes: ByteBuffer) async throws
    /// Makes the message durable in every mailbox before returning (the SMTP 250 waits for this).
    func deliver(to mailboxes: [String]) async throws
    /// The same, knowing who handed the message over (`origin`): a target that checks the sender may
    /// refuse it here (`SMTPDeliveryError.refused`) or deliver it changed. By default `deliver(to:)`.
    func deliver(to mailboxes: [String], origin: SMTPMessageOrigin) async throws
    /// Makes the message durable in the outbound queue for every recipient of `envelope` before
    /// returning, and returns its queue id; only called when the server relays
    /// (`SMTPSessionConfiguration.relays`).
    func queue(_ envelope: SMTPEnvelope) async throws -> String
    /// The same, knowing who handed the message over: a target that checks the sender does so here, as
    /// for `deliver(to:origin:)`, before the message is queued (and so before the 250). By default
    /// `queue(_:)`.
    func queue(_ envelope: SMTPEnvelope, origin: SMTPMessageOrigin) async throws -> String
    /// Throws the message away.
    func discard() async
}

extension SMTPDeliveryTarget {
    /// A target that remembers nothing asks `mailbox(for:)` every time.
    public func knownMailbox(for address: String) -> String? { nil }
}

extension SMTPIncomingMessage {
    /// A target that does not check senders delivers as it always does.
    public func deliver(to mailboxes: [String], origin: SMTPMessageOrigin) async throws {
        try await deliver(to: mailboxes)
    }

    /// A target without an outbound queue never gets here (the session refuses other domains); if it
    /// did, the client is told to try again rather than the message being lost.
    public func queue(_ envelope: SMTPEnvelope) async throws -> String {
        throw SMTPDeliveryError.temporaryFailure("no outbound queue")
    }

    /// A target that does not check senders queues as it always does.
    public func queue(_ envelope: SMTPEnvelope, origin: SMTPMessageOrigin) async throws -> String {
        try await queue(envelope)
    }
}

/// Checks AUTH credentials.
public protocol SMTPAuthenticator: Sendable {
    /// Whether `password` is right for `username` (an address, as in passwords.txt); throws when the
    /// users' store could not be asked, which the client hears as `454 4.7.0`, not as a wrong password.
    func authenticate(username: String, password: String) async throws -> Bool
}

/// Errors a delivery target may throw to choose the reply.
public enum SMTPDeliveryError: Error, Hashable, Sendable {
    /// The disk is full: `452 4.3.1`.
    case insufficientStorage
    /// Anything else that may pass: `451 4.3.0`.
    case temporaryFailure(String)
    /// Refused for good by policy, nothing delivered: `550 5.7.1` with this text (say why, e.g. the
    /// DMARC verdict; never anything of the message's content).
    case refused(String)
}

import Foundation

/// Local delivery: how mail for the server's own users is stored, whichever backend holds them (the
/// SMTP server at the end of DATA, the queue runner for local recipients, bounces to local senders).
///
/// A message is stored once however many recipients it has where the backend can share it (hard links in
/// Maildir, one body row in PostgreSQL), and is durable before `deliverToInboxes` returns: the `250` of
/// SMTP follows it.
public protocol LocalDelivery: Sendable {
    /// Whether mail for `address` has an INBOX here.
    func acceptsMail(for address: String) async throws -> Bool
    /// Stores `bytes` (CRLF line ends, dot-unstuffed) in the INBOX of each of `users`; one result per
    /// user, in order. Throws when the message itself could not be stored (then no user has it).
    func deliverToInboxes(_ bytes: [UInt8], users: [String]) async throws -> [InboxDelivery]
    /// Stores `bytes` in each user's Junk folder (`junkMailbox(user:)`); the first failure throws, and
    /// users before it keep their copy.
    func deliverToJunk(_ bytes: [UInt8], users: [String]) async throws
}

/// What became of one recipient of `LocalDelivery.deliverToInboxes`.
public struct InboxDelivery: Hashable, Sendable {
    /// The user, as the caller named them.
    public var user: String
    /// Nil when the message is durable in the user's INBOX; why not otherwise.
    public var failure: MailStoreError?

    /// One recipient's result.
    public init(user: String, failure: MailStoreError?) {
        self.user = user
        self.failure = failure
    }
}

extension LocalDelivery where Self: MailboxDirectory {
    /// Appends `bytes` to each user's Junk folder, one user at a time.
    public func deliverToJunk(_ bytes: [UInt8], users: [String]) async throws {
        for user in users {
            _ = try await junkMailbox(user: user).append(bytes: bytes, flags: [], keywords: [], internalDate: .now)
        }
    }
}

extension MailboxDirectory {
    /// The user's Junk folder: the one marked `\Junk` (RFC 6154), made as "Junk" when the user has none
    /// (mail filed as junk by DMARC `p=quarantine`, at the MX or later from the outbound queue).
    public func junkMailbox(user address: String) async throws -> any MailboxHandle {
        let folders = try await listMailboxes(user: address)
        if let junk = folders.first(where: { $0.specialUse == .junk }) {
            return try await openMailbox(user: address, name: junk.name)
        }
        let name = try MailboxName(["Junk"])
        // Another delivery may make it at the same moment: a failure here shows in the look-up below.
        if !folders.contains(where: { $0.name == name }) { try? await createMailbox(user: address, name: name) }
        return try await openMailbox(user: address, name: name)
    }
}

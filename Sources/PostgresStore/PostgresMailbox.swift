import Foundation
import MailStore

/// One mailbox in the PostgreSQL store, as returned by `PostgresMailStore.mailbox(user:name:)`: the key
/// the message operations take.
public struct PostgresMailbox: Sendable, Hashable {
    /// The row's id (`mailboxes.id`).
    public let id: Int64
    /// The owner's address, lowercased.
    public let user: String
    /// The folder's name.
    public let name: MailboxName
    /// RFC 3501 2.3.1.1 UIDVALIDITY, fixed when the mailbox was made.
    public let uidValidity: UInt32
}

/// A mailbox's counters, read in one statement (RFC 3501 STATUS, RFC 7162 HIGHESTMODSEQ): the words
/// every backend reports them in.
public typealias PostgresMailboxState = MailboxStatus

/// One message of a mailbox in the PostgreSQL store: every backend's `MailboxMessage` (the bytes are
/// rows, so there is no file name to add).
public typealias StoredMessage = MailboxMessage

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

/// A mailbox's counters, read in one statement (RFC 3501 STATUS, RFC 7162 HIGHESTMODSEQ).
public struct PostgresMailboxState: Sendable, Hashable {
    /// RFC 3501 2.3.1.1 UIDVALIDITY.
    public var uidValidity: UInt32
    /// RFC 3501 2.3.1.1 UIDNEXT: the UID the next message will get.
    public var uidNext: UInt32
    /// RFC 7162 HIGHESTMODSEQ.
    public var highestModSeq: UInt64
    /// How many messages the mailbox holds.
    public var messages: Int
}

/// One message of a mailbox in the PostgreSQL store: what `MessageRecord` is for Maildir, without the
/// file name (the bytes are rows, not a file).
public struct StoredMessage: Sendable, Hashable {
    /// RFC 3501 2.3.1.1: unique in the mailbox for its UIDVALIDITY, never reused.
    public var uid: UInt32
    /// The system flags (RFC 3501 2.3.2).
    public var flags: MessageFlags
    /// RFC 3501 2.3.2 keywords, as first spelled.
    public var keywords: [String]
    /// RFC822.SIZE: the bytes as stored (correo stores what came over the wire, CRLF line ends).
    public var size: Int
    /// RFC 3501 2.3.3 INTERNALDATE.
    public var internalDate: Date
    /// RFC 7162 mod-sequence of the last change to this message.
    public var modSeq: UInt64

    /// A record as the store returns them; public so that tests can compare with one.
    public init(
        uid: UInt32,
        flags: MessageFlags,
        keywords: [String],
        size: Int,
        internalDate: Date,
        modSeq: UInt64
    ) {
        self.uid = uid
        self.flags = flags
        self.keywords = keywords
        self.size = size
        self.internalDate = internalDate
        self.modSeq = modSeq
    }
}

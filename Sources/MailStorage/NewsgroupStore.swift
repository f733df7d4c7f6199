/// The newsgroups of a store: the group records (`correo group`) and each group's mailbox, whose UIDs
/// are the article numbers (RFC 3977 §6.1.1: stable, never reused).
///
/// NNTP, IMAP's `#news.` namespace, the list-to-news gateway in SMTP delivery and the queue runner all
/// reach groups through this, so that a group lives where the users' mail lives: in STORAGE/news/ for
/// the Maildir store, in the database (shared by every node) for the PostgreSQL store.
public protocol NewsgroupStore: Sendable {
    /// Every group, sorted by name.
    func newsgroups() async throws -> [Newsgroup]

    /// The group called `name`, or nil.
    func newsgroup(_ name: String) async throws -> Newsgroup?

    /// The group whose `address` is `address` (compared without case), or nil.
    ///
    /// Throws when the store cannot be asked: SMTP then answers 451, never "no such user".
    func newsgroup(address: String) async throws -> Newsgroup?

    /// Makes a group and its mailbox; `MailStoreError.mailboxExists` when its name or address is taken.
    func addNewsgroup(_ group: Newsgroup) async throws

    /// Removes a group and its articles; `MailStoreError.mailboxNotFound` when there is none.
    func deleteNewsgroup(_ name: String) async throws

    /// The mailbox of group `name`, shared by every reader; `MailStoreError.mailboxNotFound` when there
    /// is no such group.
    func openNewsgroup(_ name: String) async throws -> any MailboxHandle
}

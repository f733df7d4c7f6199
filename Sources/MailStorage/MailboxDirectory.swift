/// A user's mailboxes as a hierarchy (RFC 3501 6.3 CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE,
/// LIST, LSUB), whichever backend holds them.
///
/// Every backend gives the same answers, in `MailStoreError`'s words; the suites of
/// `Tests/MailStorageTests` hold each backend to them.
public protocol MailboxDirectory: Sendable {
    /// The user's mailboxes: INBOX first, then the others by name, with their attributes.
    func listMailboxes(user: String) async throws -> [MailboxInfo]
    /// RFC 3501 6.3.3 CREATE: makes the mailbox and any missing parents; `mailboxExists` when it is
    /// there already (INBOX always is).
    func createMailbox(user: String, name: MailboxName) async throws
    /// RFC 3501 6.3.4 DELETE: removes the mailbox with its messages; `cannotDeleteInbox`,
    /// `mailboxHasChildren`, `mailboxNotFound`. Its subscription stays (RFC 3501 6.3.6).
    func deleteMailbox(user: String, name: MailboxName) async throws
    /// RFC 3501 6.3.5 RENAME: the mailbox and its children take the new name and keep their
    /// UIDVALIDITY and messages; renaming INBOX moves its messages to the new mailbox and leaves INBOX
    /// empty. `mailboxNotFound`, `mailboxExists`, and `invalidMailboxName` for a name inside itself.
    func renameMailbox(user: String, from source: MailboxName, to target: MailboxName) async throws
    /// RFC 3501 6.3.6 SUBSCRIBE: any valid name, whether the mailbox exists or not.
    func subscribe(user: String, name: MailboxName) async throws
    /// RFC 3501 6.3.7 UNSUBSCRIBE.
    func unsubscribe(user: String, name: MailboxName) async throws
    /// RFC 3501 6.3.9 LSUB: the subscribed names, mailboxes that exist or not, sorted.
    func subscriptions(user: String) async throws -> [MailboxName]
    /// The mailbox `name` of `user` for its messages (SELECT); `mailboxNotFound` when there is none.
    func openMailbox(user: String, name: MailboxName) async throws -> any MailboxHandle
}

/// A whole store as the servers use it: its users, their mailboxes, local delivery, the newsgroups and the
/// outbound queue.
///
/// The Maildir store
/// (`correo serve`'s default) and the PostgreSQL store (`correo serve --store postgres://…`) are both one;
/// the servers are given one and never ask which.
public protocol MailStorageBackend: UserDirectory, MailboxDirectory, LocalDelivery, NewsgroupStore {
    /// The outbound queue kept with the users' mail.
    var outboundQueue: any OutboundQueueStore { get }
}

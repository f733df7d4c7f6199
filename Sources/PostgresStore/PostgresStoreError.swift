import PostgresNIO

/// What the PostgreSQL store reports when an operation cannot be carried out.
public enum PostgresStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The store URL is not a `postgres://` or `postgresql://` URL this store can use.
    case invalidURL(String)
    /// No user with this name exists.
    case noSuchUser(String)
    /// No mailbox with this name exists for the user.
    case noSuchMailbox(String)
    /// The mailbox has no message with this UID.
    case noSuchMessage(uid: UInt32)
    /// A user or mailbox with this name already exists (the text is PostgreSQL's detail).
    case alreadyExists(String)
    /// RFC 3501 6.3.4: INBOX cannot be deleted.
    case cannotDeleteInbox
    /// The mailbox has children: deleting it would leave them without a parent (as the Maildir store refuses).
    case mailboxHasChildren(String)
    /// A rename that cannot be done: the target lies inside the mailbox renamed, or is INBOX.
    case invalidRename(String)
    /// The database holds a schema version newer than this binary knows: an older node must not write.
    case schemaTooNew(found: Int, known: Int)

    /// One line for the operator.
    public var description: String {
        switch self {
        case .invalidURL(let reason): "invalid store URL: \(reason)"
        case .noSuchUser(let user): "no such user: \(user)"
        case .noSuchMailbox(let name): "no such mailbox: \(name)"
        case .noSuchMessage(let uid): "no message with UID \(uid)"
        case .alreadyExists(let detail): "already exists: \(detail)"
        case .cannotDeleteInbox: "INBOX cannot be deleted"
        case .mailboxHasChildren(let name): "mailbox has children: \(name)"
        case .invalidRename(let reason): "cannot rename: \(reason)"
        case .schemaTooNew(let found, let known):
            "the database's schema is version \(found), newer than this binary's \(known): upgrade correo"
        }
    }

    /// One line for the operator about any error of the store or of the database under it.
    ///
    /// PostgresNIO's own description hides the server's words (they may quote data); the server's
    /// message is what an operator needs here (a missing database, a refused login). The pool gives
    /// up on a server it cannot reach with an error of its own.
    public static func reason(for error: any Error) -> String {
        switch error {
        case let error as PostgresStoreError: error.description
        case let error as PSQLError:
            error.serverInfo?[.message] ?? "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
        default: "could not connect (\(error))"
        }
    }
}

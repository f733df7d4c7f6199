import MailStorage
import PostgresNIO

/// What only the PostgreSQL store can report; what any store can (no such user or mailbox, a name taken)
/// it reports as `MailStoreError`, the words every backend shares.
public enum PostgresStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The store URL is not a `postgres://` or `postgresql://` URL this store can use.
    case invalidURL(String)
    /// A row with this key already exists (the text is PostgreSQL's detail): an import or a race the
    /// callers that know what the row was turn into `MailStoreError.userExists` or `.mailboxExists`.
    case alreadyExists(String)
    /// The database holds a schema version newer than this binary knows: an older node must not write.
    case schemaTooNew(found: Int, known: Int)
    /// The database lacks schema versions this binary needs (`correo db migrate` applies them).
    case schemaNotCurrent(pending: [Int])

    /// One line for the operator.
    public var description: String {
        switch self {
        case .invalidURL(let reason): "invalid store URL: \(reason)"
        case .alreadyExists(let detail): "already exists: \(detail)"
        case .schemaTooNew(let found, let known):
            "the database's schema is version \(found), newer than this binary's \(known): upgrade correo"
        case .schemaNotCurrent(let pending):
            "the database's schema lacks version \(pending.map(String.init).joined(separator: ", ")): "
                + "run `correo db migrate` first"
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
        case let error as MailStoreError: error.description
        case let error as PSQLError:
            error.serverInfo?[.message] ?? "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
        default: "could not connect (\(error))"
        }
    }
}

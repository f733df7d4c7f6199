import Logging
import PostgresNIO

/// How much the store holds, for `correo db status` and for checking that bytes are stored once.
public struct PostgresStoreCounts: Sendable, Hashable {
    /// Users.
    public var users: Int
    /// Mailboxes (newsgroups' included).
    public var mailboxes: Int
    /// Messages in mailboxes: one per copy.
    public var messages: Int
    /// Message bodies: one per message however many mailboxes hold it.
    public var bodies: Int
    /// Rows of message bytes (`PostgresStoreDefaults.chunkBytes` each, the last one shorter).
    public var chunks: Int
}

extension PostgresMailStore {
    /// The row counts of the main tables, read in one statement.
    public func counts() async throws -> PostgresStoreCounts {
        let rows = try await client.query(
            """
            SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM mailboxes),
                   (SELECT count(*) FROM messages), (SELECT count(*) FROM message_bodies),
                   (SELECT count(*) FROM message_chunks)
            """,
            logger: logger
        )
        var counts = PostgresStoreCounts(users: 0, mailboxes: 0, messages: 0, bodies: 0, chunks: 0)
        for try await (users, mailboxes, messages, bodies, chunks) in rows.decode((Int, Int, Int, Int, Int).self) {
            counts = PostgresStoreCounts(
                users: users,
                mailboxes: mailboxes,
                messages: messages,
                bodies: bodies,
                chunks: chunks
            )
        }
        return counts
    }
}

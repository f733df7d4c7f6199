import Logging
import MailStore
import PostgresNIO

extension PostgresMailStore {
    /// RFC 3501 6.3.4 DELETE: removes the mailbox `name` of `user` with its messages; bodies no other
    /// message uses go with them, in the same transaction.
    ///
    /// INBOX cannot be deleted (`cannotDeleteInbox`); a mailbox with children is refused
    /// (`mailboxHasChildren`), as the Maildir store does. Sessions that have it open hear a change.
    public func deleteMailbox(user: String, name: MailboxName) async throws {
        guard !name.isInbox else { throw MailStoreError.cannotDeleteInbox }
        let mailbox = try await self.mailbox(user: user, name: name)
        try await transaction { connection in
            try await lockMailboxes([mailbox], on: connection)
            let children = try await connection.query(
                """
                SELECT count(*) FROM mailboxes c JOIN mailboxes m ON m.user_id = c.user_id
                WHERE m.id = \(mailbox.id) AND left(c.name, length(m.name) + 1) = m.name || '/'
                """,
                logger: logger
            )
            var childCount = 0
            for try await count in children.decode(Int.self) { childCount = count }
            guard childCount == 0 else { throw MailStoreError.mailboxHasChildren(name.description) }
            try await removeMailbox(mailbox.id, on: connection)
        }
    }

    /// Deletes the mailbox row `id` with its messages and the bodies nothing else uses, and tells the
    /// sessions that have it open (they find it empty), in the caller's transaction.
    ///
    /// The row is locked first, so an append under way finishes before its message is looked for.
    func removeMailbox(_ id: Int64, on connection: PostgresConnection) async throws {
        _ = try await connection.query("SELECT id FROM mailboxes WHERE id = \(id) FOR UPDATE", logger: logger)
            .collect()
        let gone = try await connection.query(
            "DELETE FROM messages WHERE mailbox_id = \(id) RETURNING body_id",
            logger: logger
        )
        var bodies: [Int64] = []
        for try await body in gone.decode(Int64.self) { bodies.append(body) }
        try await connection.query("DELETE FROM mailboxes WHERE id = \(id)", logger: logger)
        try await deleteUnreferencedBodies(bodies, on: connection)
        try await connection.query(
            "SELECT pg_notify(\(PostgresStoreDefaults.changeChannel), \(String(id)))",
            logger: logger
        )
    }

    /// RFC 3501 6.3.5 RENAME: gives the mailbox `source` of `user`, and its children, the name `target`.
    ///
    /// They keep their UIDVALIDITY and messages, and a mailbox made later under the old name gets a new
    /// UIDVALIDITY. Missing parents of `target` are made, and subscriptions to the old names follow
    /// them, as in the Maildir store.
    ///
    /// Renaming INBOX moves its messages into a new mailbox `target` (with a new UIDVALIDITY, the UIDs
    /// kept) and leaves INBOX empty, its messages recorded as expunged. A `target` that exists (INBOX
    /// always does) throws `MailStoreError.mailboxExists`; a name inside `source` throws
    /// `MailStoreError.invalidMailboxName`.
    public func renameMailbox(user: String, from source: MailboxName, to target: MailboxName) async throws {
        let mailbox = try await self.mailbox(user: user, name: source)
        guard !target.isInbox else { throw MailStoreError.mailboxExists(target.description) }
        guard source.isInbox || !target.isSelfOrDescendant(of: source) else {
            throw MailStoreError.invalidMailboxName(target.description, reason: "it lies inside the mailbox renamed")
        }
        if let parent = target.parent { try await makeMissing(user: user, parent) }
        try await transaction { connection in
            try await lockMailboxes([mailbox], on: connection)
            let taken = try await connection.query(
                """
                SELECT count(*) FROM mailboxes t JOIN mailboxes m ON m.user_id = t.user_id
                WHERE m.id = \(mailbox.id) AND t.name = \(target.description)
                """,
                logger: logger
            )
            var takenCount = 0
            for try await count in taken.decode(Int.self) { takenCount = count }
            guard takenCount == 0 else { throw MailStoreError.mailboxExists(target.description) }
            if source.isInbox {
                try await moveInboxMessages(of: mailbox, to: target, on: connection)
            } else {
                // The subscriptions follow, read under the old name: before the rename below.
                try await connection.query(
                    """
                    UPDATE subscriptions s SET name = \(target.description) || substr(s.name, length(m.name) + 1)
                    FROM mailboxes m
                    WHERE m.id = \(mailbox.id) AND s.user_id = m.user_id
                      AND (s.name = m.name OR left(s.name, length(m.name) + 1) = m.name || '/')
                      AND NOT EXISTS (
                          SELECT 1 FROM subscriptions t WHERE t.user_id = s.user_id
                          AND t.name = \(target.description) || substr(s.name, length(m.name) + 1))
                    """,
                    logger: logger
                )
                // Those whose new name was subscribed already are left under the old one: gone, as one.
                try await connection.query(
                    """
                    DELETE FROM subscriptions s USING mailboxes m
                    WHERE m.id = \(mailbox.id) AND s.user_id = m.user_id
                      AND (s.name = m.name OR left(s.name, length(m.name) + 1) = m.name || '/')
                    """,
                    logger: logger
                )
                // The children follow (RFC 3501 6.3.5): "A/x" becomes "B/x" when "A" becomes "B".
                try await connection.query(
                    """
                    UPDATE mailboxes c SET name = \(target.description) || substr(c.name, length(m.name) + 1)
                    FROM mailboxes m
                    WHERE m.id = \(mailbox.id) AND c.user_id = m.user_id
                      AND (c.id = m.id OR left(c.name, length(m.name) + 1) = m.name || '/')
                    """,
                    logger: logger
                )
                try await notifyChange(of: mailbox, on: connection)
            }
        }
    }

    /// RFC 3501 6.3.5, INBOX: a new mailbox `target` takes INBOX's messages with their UIDs, UIDNEXT
    /// and mod-sequences (its new UIDVALIDITY tells clients they are other messages); INBOX records
    /// them as expunged under one new mod-sequence and keeps its UIDVALIDITY and UIDNEXT.
    private func moveInboxMessages(
        of inbox: PostgresMailbox,
        to target: MailboxName,
        on connection: PostgresConnection
    ) async throws {
        let made = try await connection.query(
            """
            INSERT INTO mailboxes (user_id, name, uid_validity, uid_next, highest_modseq)
            SELECT user_id, \(target.description), nextval('uid_validity_sequence'), uid_next, highest_modseq
            FROM mailboxes WHERE id = \(inbox.id)
            RETURNING id
            """,
            logger: logger
        )
        var newID: Int64?
        for try await id in made.decode(Int64.self) { newID = id }
        guard let newID else { throw MailStoreError.mailboxNotFound(inbox.name.description) }
        try await connection.query(
            """
            WITH raised AS (
                UPDATE mailboxes SET highest_modseq = highest_modseq + 1
                WHERE id = \(inbox.id) AND EXISTS (SELECT 1 FROM messages WHERE mailbox_id = \(inbox.id))
                RETURNING highest_modseq
            )
            INSERT INTO expunged_messages (mailbox_id, uid, modseq)
            SELECT \(inbox.id), m.uid, raised.highest_modseq FROM messages m CROSS JOIN raised
            WHERE m.mailbox_id = \(inbox.id)
            ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq
            """,
            logger: logger
        )
        try await connection.query(
            "UPDATE messages SET mailbox_id = \(newID) WHERE mailbox_id = \(inbox.id)",
            logger: logger
        )
        try await notifyChange(of: inbox, on: connection)
    }

    // MARK: - Subscriptions

    /// RFC 3501 6.3.6 SUBSCRIBE: a name, whether or not it has a mailbox (a client may subscribe first
    /// and create later); DELETE leaves it, RENAME takes it along.
    public func subscribe(user: String, name: MailboxName) async throws {
        let rows = try await client.query(
            """
            INSERT INTO subscriptions (user_id, name)
            SELECT id, \(name.description) FROM users WHERE address = \(user.lowercased())
            ON CONFLICT DO NOTHING
            RETURNING user_id
            """,
            logger: logger
        )
        // Nothing inserted: subscribed already, or no such user.
        if try await !rows.foundAny(), try await !userExists(user) {
            throw MailStoreError.userNotFound(user.lowercased())
        }
    }

    /// RFC 3501 6.3.7 UNSUBSCRIBE; a name that was not subscribed is no error.
    public func unsubscribe(user: String, name: MailboxName) async throws {
        try await client.query(
            """
            DELETE FROM subscriptions s USING users u
            WHERE u.id = s.user_id AND u.address = \(user.lowercased()) AND s.name = \(name.description)
            """,
            logger: logger
        )
    }

    /// RFC 3501 6.3.9 LSUB: the subscribed names of `user`, mailboxes that exist or not, sorted.
    public func subscriptions(user: String) async throws -> [MailboxName] {
        let rows = try await client.query(
            """
            SELECT s.name FROM subscriptions s JOIN users u ON u.id = s.user_id
            WHERE u.address = \(user.lowercased())
            """,
            logger: logger
        )
        var names: [MailboxName] = []
        for try await name in rows.decode(String.self) { names.append(try MailboxName(path: name)) }
        // Sorted here, by code point as the Maildir store sorts: the database's collation may not be.
        return names.sorted { $0.description < $1.description }
    }
}

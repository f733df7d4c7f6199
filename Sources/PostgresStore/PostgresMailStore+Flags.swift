import Logging
import MailStore
import PostgresNIO

extension PostgresMailStore {
    /// RFC 3501 6.4.6 STORE with RFC 7162 mod-sequences: changes the flags and keywords of `uids` and
    /// returns the records of those that exist, after the change.
    ///
    /// The messages that really changed get the mailbox's next mod-sequence (one for the whole
    /// command), taken under the mailbox row's lock; a STORE that changes nothing leaves
    /// HIGHESTMODSEQ alone and announces nothing.
    @discardableResult
    public func setFlags(
        uids: [UInt32],
        in mailbox: PostgresMailbox,
        flags: MessageFlags,
        keywords: [String] = [],
        operation: FlagOperation
    ) async throws -> [StoredMessage] {
        let keywords = try Self.distinct(keywords)
        return try await transaction { connection in
            let locked = try await connection.query(
                "SELECT highest_modseq FROM mailboxes WHERE id = \(mailbox.id) FOR UPDATE",
                logger: logger
            )
            var highest: Int64?
            for try await modSeq in locked.decode(Int64.self) { highest = modSeq }
            guard let highest else { throw MailStoreError.mailboxNotFound(mailbox.name.description) }
            let changed = try await update(
                uids: uids,
                in: mailbox,
                flags: flags,
                keywords: keywords,
                operation: operation,
                modSeq: highest + 1,
                on: connection
            )
            if changed > 0 {
                try await connection.query(
                    "UPDATE mailboxes SET highest_modseq = \(highest + 1) WHERE id = \(mailbox.id)",
                    logger: logger
                )
                try await notifyChange(of: mailbox, on: connection)
            }
            return try await records(in: mailbox, uids: uids, changedSince: 0, on: connection)
        }
    }

    /// Rewrites the flags and keywords of the messages among `uids` whose value changes.
    ///
    /// Returns how many did. Each new value is computed from the row's old `flags` and `keywords`, and
    /// keywords keep their order (added ones go last).
    private func update(
        uids: [UInt32],
        in mailbox: PostgresMailbox,
        flags: MessageFlags,
        keywords: [String],
        operation: FlagOperation,
        modSeq: Int64,
        on connection: PostgresConnection
    ) async throws -> Int {
        let bits = Int16(flags.rawValue)
        let wanted = uids.map(Int64.init)
        let verb: String
        switch operation {
        case .add: verb = "add"
        case .remove: verb = "remove"
        case .replace: verb = "replace"
        }
        let rows = try await connection.query(
            """
            UPDATE messages m SET flags = n.flags, keywords = n.keywords, modseq = \(modSeq)
            FROM (
                SELECT uid,
                    CASE \(verb)
                        WHEN 'add' THEN flags | \(bits)
                        WHEN 'remove' THEN flags & ~\(bits)::smallint
                        ELSE \(bits)::smallint END AS flags,
                    CASE \(verb)
                        WHEN 'add' THEN keywords || ARRAY(
                            SELECT k FROM unnest(\(keywords)::text[]) WITH ORDINALITY AS w(k, i)
                            WHERE NOT k = ANY(keywords) ORDER BY i)
                        WHEN 'remove' THEN ARRAY(
                            SELECT k FROM unnest(keywords) WITH ORDINALITY AS w(k, i)
                            WHERE NOT k = ANY(\(keywords)::text[]) ORDER BY i)
                        ELSE \(keywords)::text[] END AS keywords
                FROM messages WHERE mailbox_id = \(mailbox.id) AND uid = ANY(\(wanted)::bigint[])
            ) n
            WHERE m.mailbox_id = \(mailbox.id) AND m.uid = n.uid
              AND (m.flags, m.keywords) IS DISTINCT FROM (n.flags, n.keywords)
            RETURNING m.uid
            """,
            logger: logger
        )
        var count = 0
        for try await _ in rows.decode(Int64.self) { count += 1 }
        return count
    }
}

import Logging
import MailStore
import PostgresNIO

extension PostgresMailStore {
    /// RFC 3501 6.4.3 EXPUNGE (with `uids`, RFC 4315 UID EXPUNGE): removes the `\Deleted` messages of
    /// `mailbox`, or only those among `uids`, and returns their UIDs in ascending order.
    ///
    /// One transaction under the mailbox row's lock: the removals share one new mod-sequence
    /// (RFC 7162 3.2.10), recorded in `expunged_messages` for QRESYNC's VANISHED (EARLIER), and
    /// HIGHESTMODSEQ is raised to it. Bodies no other message or queue entry uses are deleted with their
    /// chunks. An EXPUNGE that removes nothing changes nothing and announces nothing.
    @discardableResult
    public func expunge(in mailbox: PostgresMailbox, uids: [UInt32]? = nil) async throws -> [UInt32] {
        try await transaction { connection in
            try await lockMailboxes([mailbox], on: connection)
            return try await remove(uids: uids, onlyDeleted: true, from: mailbox, on: connection)
        }
    }

    /// RFC 7162 3.2.5.2 / 3.2.10: the UIDs expunged from `mailbox` after mod-sequence `modSeq`, in
    /// ascending order (VANISHED (EARLIER)); nil when the store no longer knows, because expunges after
    /// `modSeq` were pruned (`vanished_floor`): a server then answers with a superset, every UID below
    /// UIDNEXT that is not in the mailbox.
    public func vanished(in mailbox: PostgresMailbox, since modSeq: UInt64) async throws -> [UInt32]? {
        let since = Int64(clamping: modSeq)
        let rows = try await client.query(
            """
            SELECT e.uid FROM mailboxes m
            LEFT JOIN expunged_messages e ON e.mailbox_id = m.id AND e.modseq > \(since)
            WHERE m.id = \(mailbox.id) AND m.vanished_floor <= \(since)
            ORDER BY e.uid
            """,
            logger: logger
        )
        var uids: [UInt32]?
        for try await uid in rows.decode(Int64?.self) {
            if uids == nil { uids = [] }
            if let uid { uids?.append(UInt32(uid)) }
        }
        return uids
    }

    // MARK: - Steps inside a transaction

    /// Takes the row locks of `mailboxes` in ascending id order; returns their HIGHESTMODSEQ by id.
    ///
    /// In one order, two commands locking overlapping sets never wait on each other in a circle.
    /// Throws `MailStoreError.mailboxNotFound` when one is gone.
    @discardableResult
    func lockMailboxes(_ mailboxes: [PostgresMailbox], on connection: PostgresConnection) async throws -> [Int64: Int64]
    {
        let ids = Array(Set(mailboxes.map(\.id))).sorted()
        // The sort runs below the row locking, so the rows are locked in this order.
        let rows = try await connection.query(
            "SELECT id, highest_modseq FROM mailboxes WHERE id = ANY(\(ids)::bigint[]) ORDER BY id FOR UPDATE",
            logger: logger
        )
        var locked: [Int64: Int64] = [:]
        for try await (id, modSeq) in rows.decode((Int64, Int64).self) { locked[id] = modSeq }
        if let missing = mailboxes.first(where: { locked[$0.id] == nil }) {
            throw MailStoreError.mailboxNotFound(missing.name.description)
        }
        return locked
    }

    /// Removes the messages of `mailbox` among `uids` (all when nil) — only the `\Deleted` ones when
    /// `onlyDeleted` — under a new mod-sequence; the caller holds the mailbox row's lock.
    ///
    /// Returns the removed UIDs in ascending order. Used by EXPUNGE and by MOVE (which removes what it
    /// moved whatever its flags, RFC 6851 3.3).
    func remove(
        uids: [UInt32]?,
        onlyDeleted: Bool,
        from mailbox: PostgresMailbox,
        on connection: PostgresConnection
    ) async throws -> [UInt32] {
        let wanted = uids.map { $0.map(Int64.init) }
        let mask = Int16(onlyDeleted ? MessageFlags.deleted.rawValue : 0)
        // The new mod-sequence is read in the same statement that takes it, so a command that removes
        // nothing does not raise HIGHESTMODSEQ: the UPDATE of mailboxes runs only when rows went.
        let rows = try await connection.query(
            """
            WITH gone AS (
                DELETE FROM messages
                WHERE mailbox_id = \(mailbox.id) AND flags & \(mask) = \(mask)
                  AND (\(wanted)::bigint[] IS NULL OR uid = ANY(\(wanted)::bigint[]))
                RETURNING uid, body_id
            ), raised AS (
                UPDATE mailboxes SET highest_modseq = highest_modseq + 1
                WHERE id = \(mailbox.id) AND EXISTS (SELECT 1 FROM gone)
                RETURNING highest_modseq
            ), recorded AS (
                INSERT INTO expunged_messages (mailbox_id, uid, modseq)
                SELECT \(mailbox.id), gone.uid, raised.highest_modseq FROM gone CROSS JOIN raised
                ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq
            )
            SELECT gone.uid, gone.body_id, raised.highest_modseq FROM gone CROSS JOIN raised ORDER BY gone.uid
            """,
            logger: logger
        )
        var removed: [UInt32] = []
        var bodies: [Int64] = []
        var modSeq: Int64 = 0
        for try await (uid, body, raised) in rows.decode((Int64, Int64, Int64).self) {
            removed.append(UInt32(uid))
            bodies.append(body)
            modSeq = raised
        }
        guard !removed.isEmpty else { return [] }
        try await deleteUnreferencedBodies(bodies, on: connection)
        if modSeq % PostgresStoreDefaults.expungedPruneEvery == 0 {
            try await pruneExpunged(of: mailbox, keeping: PostgresStoreDefaults.expungedMessagesKept, on: connection)
        }
        try await notifyChange(of: mailbox, on: connection)
        return removed
    }

    /// Forgets all but the newest `kept` expunged UIDs of `mailbox` and raises its `vanished_floor` to
    /// the newest mod-sequence forgotten, in the caller's transaction (which holds the mailbox's lock).
    func pruneExpunged(of mailbox: PostgresMailbox, keeping kept: Int, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            WITH cut AS (
                SELECT modseq FROM expunged_messages WHERE mailbox_id = \(mailbox.id)
                ORDER BY modseq DESC OFFSET \(kept) LIMIT 1
            ), forgotten AS (
                DELETE FROM expunged_messages
                WHERE mailbox_id = \(mailbox.id) AND modseq <= (SELECT modseq FROM cut)
                RETURNING modseq
            )
            UPDATE mailboxes SET vanished_floor = GREATEST(vanished_floor, (SELECT max(modseq) FROM forgotten))
            WHERE id = \(mailbox.id) AND EXISTS (SELECT 1 FROM forgotten)
            """,
            logger: logger
        )
    }

    /// Deletes those of `bodies` that no message and no queue entry points at any more; their chunks and
    /// derived values go with them (ON DELETE CASCADE).
    ///
    /// The body rows are locked first (in id order), and the references counted in a later statement:
    /// two transactions removing the last two copies of one body at once then run one after the other,
    /// and the second sees the first's removal, so the body is not left behind by both.
    func deleteUnreferencedBodies(_ bodies: [Int64], on connection: PostgresConnection) async throws {
        guard !bodies.isEmpty else { return }
        let distinct = Array(Set(bodies)).sorted()
        _ = try await connection.query(
            "SELECT id FROM message_bodies WHERE id = ANY(\(distinct)::bigint[]) ORDER BY id FOR UPDATE",
            logger: logger
        ).foundAny()
        try await connection.query(
            """
            DELETE FROM message_bodies b
            WHERE b.id = ANY(\(distinct)::bigint[])
              AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.body_id = b.id)
              AND NOT EXISTS (SELECT 1 FROM queue_entries q WHERE q.body_id = b.id)
            """,
            logger: logger
        )
    }
}

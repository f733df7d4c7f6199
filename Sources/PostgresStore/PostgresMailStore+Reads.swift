import Logging
import MailStorage
import NIOCore
import PostgresNIO

/// The reads of a selected mailbox (IMAP SELECT, NOOP, IDLE, FETCH, SEARCH): each is one statement for
/// a whole batch of UIDs, and the answers are aligned to the UIDs asked for, nil for one the mailbox
/// does not hold.
extension PostgresMailStore {
    /// The SQLSTATE of a foreign key violation: a body deleted (its last message expunged) while values
    /// derived from it were being stored.
    private static let foreignKeyViolation = "23503"

    /// One look for a session: the counters and, unless `token` is still HIGHESTMODSEQ, every message.
    ///
    /// HIGHESTMODSEQ is the token: every APPEND, every COPY or MOVE into the mailbox, every STORE that
    /// changes a message and every EXPUNGE that removes one raises it in the transaction that makes the
    /// change. The counters are read first and the messages after them, in one `REPEATABLE READ`
    /// transaction: both come from one snapshot, so the messages are exactly the state the token names.
    public func look(
        at mailbox: PostgresMailbox,
        since token: UInt64?
    ) async throws -> (status: MailboxStatus, messages: [MailboxMessage]?) {
        try await client.withConnection { connection in
            try await Transaction.run(on: connection, logger: logger) { connection in
                try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                let status = try await counters(of: mailbox, on: connection)
                if status.highestModSeq == token { return (status, nil) }
                return (status, try await records(in: mailbox, uids: nil, changedSince: 0, on: connection))
            }
        }
    }

    /// The messages of `uids` in `mailbox`, in the order asked; nil for a UID it does not hold.
    public func messages(uids: [UInt32], in mailbox: PostgresMailbox) async throws -> [MailboxMessage?] {
        guard !uids.isEmpty else { return [] }
        let found = try await client.withConnection { connection in
            try await records(in: mailbox, uids: uids, changedSince: 0, on: connection)
        }
        let byUID = Dictionary(found.map { ($0.uid, $0) }) { first, _ in first }
        return uids.map { byUID[$0] }
    }

    /// The header section (blank line included) of each of `uids`; nil for a UID `mailbox` does not hold.
    ///
    /// Only the chunks that hold the header are read (`seq < ceil(header_length / chunk_bytes)`), and
    /// of the last one only the header's part, so a FETCH of headers never carries the bodies. Sections
    /// this node read before (`valueCache`) are not read again: the query only tells whether their
    /// messages are still there.
    public func headerSections(uids: [UInt32], in mailbox: PostgresMailbox) async throws -> [[UInt8]?] {
        guard !uids.isEmpty else { return [] }
        let kind = MessageValueCache.headerKind
        let kept = valueCache.values(mailbox: mailbox.id, uids: uids, kind: kind)
        let keptUIDs = zip(uids, kept).compactMap { $1 == nil ? nil : Int64($0) }
        let wanted = uids.map(Int64.init)
        let found = try await client.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT m.uid,
                       substring(c.data FROM 1 FOR least(b.header_length - c.seq::bigint * b.chunk_bytes,
                                                         b.chunk_bytes)::int)
                FROM messages m
                JOIN message_bodies b ON b.id = m.body_id
                LEFT JOIN message_chunks c ON c.body_id = b.id
                     AND c.seq < (b.header_length + b.chunk_bytes - 1) / b.chunk_bytes
                     AND NOT (m.uid = ANY(\(keptUIDs)::bigint[]))
                WHERE m.mailbox_id = \(mailbox.id) AND m.uid = ANY(\(wanted)::bigint[])
                ORDER BY m.uid, c.seq
                """,
                logger: logger
            )
            return try await Self.joinedChunks(rows)
        }
        var read: [(uid: UInt32, value: [UInt8])] = []
        let sections = zip(uids, kept).map { uid, kept -> [UInt8]? in
            guard let section = found[uid] else { return nil }
            if let kept { return kept }
            read.append((uid, section))
            return section
        }
        valueCache.store(mailbox: mailbox.id, kind: kind, read)
        return sections
    }

    /// The whole messages of `uids`, in the order asked; nil for a UID `mailbox` does not hold.
    public func readMessages(uids: [UInt32], in mailbox: PostgresMailbox) async throws -> [[UInt8]?] {
        guard !uids.isEmpty else { return [] }
        let wanted = uids.map(Int64.init)
        let found = try await client.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT m.uid, c.data FROM messages m
                LEFT JOIN message_chunks c ON c.body_id = m.body_id
                WHERE m.mailbox_id = \(mailbox.id) AND m.uid = ANY(\(wanted)::bigint[])
                ORDER BY m.uid, c.seq
                """,
                logger: logger
            )
            return try await Self.joinedChunks(rows)
        }
        return uids.map { found[$0] }
    }

    /// Bytes `range` of message `uid`, clamped to the message (RFC 3501 BODY[]<start.count>).
    ///
    /// Only the chunks that overlap the range are read, each cut to its part of it.
    /// `MailStoreError.messageNotFound` when `mailbox` has no such UID.
    public func readMessage(uid: UInt32, range: Range<Int>, in mailbox: PostgresMailbox) async throws -> [UInt8] {
        let lower = Int64(max(0, range.lowerBound))
        let upper = max(lower, Int64(range.upperBound))
        let rows = try await client.query(
            """
            SELECT substring(c.data FROM (greatest(\(lower) - c.seq::bigint * b.chunk_bytes, 0) + 1)::int
                             FOR least(\(upper) - greatest(\(lower), c.seq::bigint * b.chunk_bytes),
                                       b.chunk_bytes)::int)
            FROM messages m
            JOIN message_bodies b ON b.id = m.body_id
            LEFT JOIN message_chunks c ON c.body_id = b.id
                 AND c.seq >= \(lower) / b.chunk_bytes
                 AND c.seq < (least(\(upper), b.size) + b.chunk_bytes - 1) / b.chunk_bytes
            WHERE m.mailbox_id = \(mailbox.id) AND m.uid = \(Int64(uid))
            ORDER BY c.seq
            """,
            logger: logger
        )
        guard let bytes = try await Self.joinedChunks(of: rows) else { throw MailStoreError.messageNotFound(uid: uid) }
        return bytes
    }

    /// The values of `kind` kept for the bodies of `uids`; nil where none is (or the UID is gone).
    ///
    /// Values this node read before (`valueCache`) are not read again: the query only tells whether
    /// their messages are still there.
    public func derivedValues(uids: [UInt32], kind: String, in mailbox: PostgresMailbox) async throws -> [[UInt8]?] {
        guard !uids.isEmpty else { return [] }
        let kept = valueCache.values(mailbox: mailbox.id, uids: uids, kind: kind)
        let keptUIDs = zip(uids, kept).compactMap { $1 == nil ? nil : Int64($0) }
        let wanted = uids.map(Int64.init)
        let found = try await client.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT m.uid, d.value FROM messages m
                LEFT JOIN derived_values d ON d.body_id = m.body_id AND d.kind = \(kind)
                     AND NOT (m.uid = ANY(\(keptUIDs)::bigint[]))
                WHERE m.mailbox_id = \(mailbox.id) AND m.uid = ANY(\(wanted)::bigint[])
                """,
                logger: logger
            )
            var found: [UInt32: [UInt8]?] = [:]
            for try await (uid, value) in rows.decode((Int64, ByteBuffer?).self) {
                // Written out: `found[uid] = value.map(…)` would type the map as `[UInt8]??` and a nil
                // would remove the entry, making a message without a value look gone.
                let bytes: [UInt8]? = value.map { Array($0.readableBytesView) }
                found[UInt32(truncatingIfNeeded: uid)] = .some(bytes)
            }
            return found
        }
        var read: [(uid: UInt32, value: [UInt8])] = []
        let values = zip(uids, kept).map { uid, kept -> [UInt8]? in
            guard let present = found[uid] else { return nil }
            if let kept { return kept }
            if let value = present { read.append((uid, value)) }
            return present
        }
        valueCache.store(mailbox: mailbox.id, kind: kind, read)
        return values
    }

    /// Keeps `values` under `kind` for the bodies of their UIDs in `mailbox` (every copy of a body shares
    /// them), replacing what was kept; values of UIDs that are gone are dropped.
    ///
    /// One statement for the batch. Two UIDs of one body (a COPY within the mailbox) keep the later value.
    /// A body with `derivedKindsPerMessage` other kinds keeps no new one.
    public func storeDerivedValues(_ values: [DerivedValue], kind: String, in mailbox: PostgresMailbox) async throws {
        guard !values.isEmpty else { return }
        let uids = values.map { Int64($0.uid) }
        let bytes = values.map { ByteBuffer(bytes: $0.value) }
        do {
            try await client.withConnection { connection in
                try await connection.query(
                    """
                    INSERT INTO derived_values (body_id, kind, value)
                    SELECT DISTINCT ON (m.body_id) m.body_id, \(kind), v.value
                    FROM unnest(\(uids)::bigint[], \(bytes)::bytea[]) WITH ORDINALITY AS v(uid, value, position)
                    JOIN messages m ON m.mailbox_id = \(mailbox.id) AND m.uid = v.uid
                    WHERE (SELECT count(*) FROM derived_values d WHERE d.body_id = m.body_id AND d.kind <> \(kind))
                        < \(MailStorageLimits.derivedKindsPerMessage)
                    ORDER BY m.body_id, v.position DESC
                    ON CONFLICT (body_id, kind) DO UPDATE SET value = EXCLUDED.value
                    """,
                    logger: logger
                )
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == Self.foreignKeyViolation {
            // A body went with its last message between the SELECT and the insert: nothing to keep.
            return
        }
        // A value replaced is replaced here too (a UID that is gone is answered as gone all the same).
        valueCache.store(mailbox: mailbox.id, kind: kind, values.map { ($0.uid, $0.value) })
    }

    // MARK: - Steps

    /// The mailbox's UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and message count on `connection`.
    func counters(
        of mailbox: PostgresMailbox,
        on connection: PostgresConnection
    ) async throws -> MailboxStatus {
        let rows = try await connection.query(
            """
            SELECT uid_validity, uid_next, highest_modseq,
                   (SELECT count(*) FROM messages WHERE mailbox_id = mailboxes.id)
            FROM mailboxes WHERE id = \(mailbox.id)
            """,
            logger: logger
        )
        var found: MailboxStatus?
        for try await (validity, next, modSeq, count) in rows.decode((Int64, Int64, Int64, Int).self) {
            found = MailboxStatus(
                uidValidity: UInt32(truncatingIfNeeded: validity),
                uidNext: UInt32(clamping: next),
                highestModSeq: UInt64(modSeq),
                messages: count
            )
        }
        guard let found else { throw MailStoreError.mailboxNotFound(mailbox.name.description) }
        return found
    }

    /// Rows of one column, a chunk or NULL (a left join that found no chunk in the range asked), joined in
    /// row order; nil when there was no row at all (no such message).
    static func joinedChunks(of rows: PostgresRowSequence) async throws -> [UInt8]? {
        var bytes: [UInt8]?
        for try await chunk in rows.decode(ByteBuffer?.self) {
            if bytes == nil { bytes = [] }
            if let chunk { bytes?.append(contentsOf: chunk.readableBytesView) }
        }
        return bytes
    }

    /// Rows of (UID, bytes or NULL), grouped by UID, joined per UID in row order; a UID whose only row
    /// has NULL bytes (no chunk in the range asked) is there, empty.
    private static func joinedChunks(_ rows: PostgresRowSequence) async throws -> [UInt32: [UInt8]] {
        var joined: [UInt32: [UInt8]] = [:]
        for try await (uid, chunk) in rows.decode((Int64, ByteBuffer?).self) {
            let key = UInt32(truncatingIfNeeded: uid)
            if let chunk {
                joined[key, default: []].append(contentsOf: chunk.readableBytesView)
            } else if joined[key] == nil {
                joined[key] = []
            }
        }
        return joined
    }
}

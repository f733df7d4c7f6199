import Foundation
import Logging
import MailCore
import MailStore
import NIOCore
import PostgresNIO

extension PostgresMailStore {
    /// RFC 3501 6.3.11 APPEND: stores `bytes` (CRLF line ends, as the caller made them) in `mailbox`,
    /// committed before it returns the new UID (RFC 4315 APPENDUID).
    public func append(
        _ bytes: [UInt8],
        to mailbox: PostgresMailbox,
        flags: MessageFlags = [],
        keywords: [String] = [],
        internalDate: Date = Date()
    ) async throws -> UInt32 {
        let uids = try await deliver(bytes, to: [mailbox], flags: flags, keywords: keywords, internalDate: internalDate)
        guard let uid = uids.first else { throw MailStoreError.mailboxNotFound(mailbox.name.description) }
        return uid
    }

    /// Local delivery: one message to several mailboxes in one transaction, its bytes stored once.
    ///
    /// Returns the UIDs in the order of `mailboxes` (a mailbox named twice gets the message once).
    ///
    /// A message of one chunk for one mailbox, the common delivery and every small APPEND, is one
    /// statement (`deliverInOneStatement`): one round trip where a transaction takes six. Otherwise the
    /// bytes go in first, before any mailbox row is locked, so the locks are held only for the short UID
    /// allocations; mailboxes are locked in ascending id order, so that two deliveries to overlapping
    /// sets of mailboxes never wait on each other in a circle. The change is announced after the commit
    /// (`announce`).
    public func deliver(
        _ bytes: [UInt8],
        to mailboxes: [PostgresMailbox],
        flags: MessageFlags = [],
        keywords: [String] = [],
        internalDate: Date = Date()
    ) async throws -> [UInt32] {
        let keywords = try Self.distinct(keywords)
        let targets = Set(mailboxes).sorted { $0.id < $1.id }
        var assigned: [Int64: UInt32] = [:]
        if targets.count == 1, bytes.count <= PostgresStoreDefaults.chunkBytes {
            let uid = try await deliverInOneStatement(
                bytes,
                to: targets[0],
                flags: flags,
                keywords: keywords,
                internalDate: internalDate
            )
            assigned[targets[0].id] = uid
        } else if !targets.isEmpty {
            assigned = try await transaction { connection in
                let bodyID = try await insertBody(bytes, on: connection)
                var assigned: [Int64: UInt32] = [:]
                for mailbox in targets {
                    assigned[mailbox.id] = try await insertMessage(
                        body: bodyID,
                        into: mailbox,
                        flags: flags,
                        keywords: keywords,
                        internalDate: internalDate,
                        on: connection
                    )
                }
                return assigned
            }
        }
        await announce(targets)
        return mailboxes.compactMap { assigned[$0.id] }
    }

    /// One chunk's message into one mailbox as one statement, its own transaction: the UID allocated,
    /// the body, its chunk and the message row inserted together, or nothing at all when the mailbox is
    /// gone (`MailStoreError.mailboxNotFound`), since the body is made only from the allocated row.
    private func deliverInOneStatement(
        _ bytes: [UInt8],
        to mailbox: PostgresMailbox,
        flags: MessageFlags,
        keywords: [String],
        internalDate: Date
    ) async throws -> UInt32 {
        let headerLength = MessageHeader.parse(bytes).bodyStart
        let rows = try await client.query(
            """
            WITH allocated AS (
                UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1
                WHERE id = \(mailbox.id) AND uid_next <= 4294967295
                RETURNING id, uid_next - 1 AS uid, highest_modseq AS modseq
            ), body AS (
                INSERT INTO message_bodies (size, header_length, chunk_bytes)
                SELECT \(Int64(bytes.count)), \(Int64(headerLength)), \(Int32(PostgresStoreDefaults.chunkBytes))
                FROM allocated
                RETURNING id
            ), chunk AS (
                INSERT INTO message_chunks (body_id, seq, data) SELECT id, 0, \(ByteBuffer(bytes: bytes)) FROM body
            )
            INSERT INTO messages (mailbox_id, uid, body_id, flags, keywords, internal_date, modseq)
            SELECT a.id, a.uid, b.id, \(Int16(flags.rawValue)), \(keywords), \(internalDate), a.modseq
            FROM allocated a CROSS JOIN body b
            RETURNING uid
            """,
            logger: logger
        )
        var uid: Int64?
        for try await found in rows.decode(Int64.self) { uid = found }
        guard let uid else { throw MailStoreError.mailboxNotFound(mailbox.name.description) }
        return UInt32(uid)
    }

    /// Tells every node's listeners that `mailboxes` changed, after the change committed.
    ///
    /// Its own small transaction, with `synchronous_commit` off: a `NOTIFY` inside the delivery's
    /// transaction holds PostgreSQL's one notification-queue lock through that commit's WAL flush, so
    /// every delivery's commit waited for the one before it and no two shared an fsync. Listeners still
    /// hear of a message only once it is readable. A notification lost here (the database went away
    /// just after the commit) is logged, not thrown: the message is stored, and a sender told to try
    /// again would deliver it twice.
    func announce(_ mailboxes: [PostgresMailbox]) async {
        guard !mailboxes.isEmpty else { return }
        let ids = mailboxes.map { String($0.id) }
        do {
            try await client.query(
                """
                SELECT set_config('synchronous_commit', 'off', true), pg_notify(\(PostgresStoreDefaults.changeChannel), id)
                FROM unnest(\(ids)::text[]) AS id
                """,
                logger: logger
            )
        } catch {
            logger.warning(
                "a change was stored but could not be announced to other sessions",
                metadata: ["mailboxes": "\(ids.joined(separator: ","))", "error": "\(String(reflecting: error))"]
            )
        }
    }

    /// The messages of `mailbox` in UID order; with `changedSince`, only those whose mod-sequence is
    /// above it (RFC 7162 CHANGEDSINCE).
    public func messages(in mailbox: PostgresMailbox, changedSince: UInt64 = 0) async throws -> [StoredMessage] {
        try await client.withConnection { connection in
            try await records(in: mailbox, uids: nil, changedSince: changedSince, on: connection)
        }
    }

    /// The whole message `uid` of `mailbox`, from its chunks; throws `MailStoreError.messageNotFound` when the mailbox has
    /// no such UID.
    public func readMessage(uid: UInt32, in mailbox: PostgresMailbox) async throws -> [UInt8] {
        let rows = try await client.query(
            """
            SELECT b.size, c.data FROM messages m
            JOIN message_bodies b ON b.id = m.body_id
            JOIN message_chunks c ON c.body_id = m.body_id
            WHERE m.mailbox_id = \(mailbox.id) AND m.uid = \(Int64(uid))
            ORDER BY c.seq
            """,
            logger: logger
        )
        var bytes: [UInt8]?
        for try await (size, chunk) in rows.decode((Int64, ByteBuffer).self) {
            if bytes == nil {
                bytes = Array()
                bytes?.reserveCapacity(Int(size))
            }
            bytes?.append(contentsOf: chunk.readableBytesView)
        }
        guard let bytes else { throw MailStoreError.messageNotFound(uid: uid) }
        return bytes
    }

    // MARK: - Steps inside a transaction

    /// Inserts the body row and its chunks (at least one, empty for an empty message, so that a body
    /// always has a first chunk); returns the body's id.
    func insertBody(_ bytes: [UInt8], on connection: PostgresConnection) async throws -> Int64 {
        let chunkBytes = PostgresStoreDefaults.chunkBytes
        let headerLength = MessageHeader.parse(bytes).bodyStart
        let rows = try await connection.query(
            """
            INSERT INTO message_bodies (size, header_length, chunk_bytes)
            VALUES (\(Int64(bytes.count)), \(Int64(headerLength)), \(Int32(chunkBytes))) RETURNING id
            """,
            logger: logger
        )
        var bodyID: Int64?
        for try await id in rows.decode(Int64.self) { bodyID = id }
        guard let bodyID else { throw MailStoreError.messageNotFound(uid: 0) }
        var sequence: Int32 = 0
        for start in stride(from: 0, to: max(bytes.count, 1), by: chunkBytes) {
            let chunk = ByteBuffer(bytes: bytes[start..<min(start + chunkBytes, bytes.count)])
            try await connection.query(
                "INSERT INTO message_chunks (body_id, seq, data) VALUES (\(bodyID), \(sequence), \(chunk))",
                logger: logger
            )
            sequence += 1
        }
        return bodyID
    }

    /// Allocates the next UID and mod-sequence of `mailbox` (the UPDATE locks its row until the
    /// transaction ends) and adds the message, in one statement; the caller announces the change once
    /// the transaction committed.
    private func insertMessage(
        body bodyID: Int64,
        into mailbox: PostgresMailbox,
        flags: MessageFlags,
        keywords: [String],
        internalDate: Date,
        on connection: PostgresConnection
    ) async throws -> UInt32 {
        let rows = try await connection.query(
            """
            WITH allocated AS (
                UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1
                WHERE id = \(mailbox.id) AND uid_next <= 4294967295
                RETURNING id, uid_next - 1 AS uid, highest_modseq AS modseq
            )
            INSERT INTO messages (mailbox_id, uid, body_id, flags, keywords, internal_date, modseq)
            SELECT id, uid, \(bodyID), \(Int16(flags.rawValue)), \(keywords), \(internalDate), modseq FROM allocated
            RETURNING uid
            """,
            logger: logger
        )
        var uid: Int64?
        for try await found in rows.decode(Int64.self) { uid = found }
        guard let uid else { throw MailStoreError.mailboxNotFound(mailbox.name.description) }
        return UInt32(uid)
    }

    /// `NOTIFY` is transactional: listeners on every node hear it when (and only if) the transaction
    /// commits, so an IDLE session never learns of a message it cannot read yet.
    func notifyChange(of mailbox: PostgresMailbox, on connection: PostgresConnection) async throws {
        try await connection.query(
            "SELECT pg_notify(\(PostgresStoreDefaults.changeChannel), \(String(mailbox.id)))",
            logger: logger
        )
    }

    /// The records of `uids` (all when nil) of `mailbox`, in UID order.
    func records(
        in mailbox: PostgresMailbox,
        uids: [UInt32]?,
        changedSince: UInt64,
        on connection: PostgresConnection
    ) async throws -> [StoredMessage] {
        let wanted = uids.map { $0.map(Int64.init) }
        let rows = try await connection.query(
            """
            SELECT m.uid, m.flags, m.keywords, b.size, m.internal_date, m.modseq
            FROM messages m JOIN message_bodies b ON b.id = m.body_id
            WHERE m.mailbox_id = \(mailbox.id) AND m.modseq > \(Int64(clamping: changedSince))
              AND (\(wanted)::bigint[] IS NULL OR m.uid = ANY(\(wanted)::bigint[]))
            ORDER BY m.uid
            """,
            logger: logger
        )
        var records: [StoredMessage] = []
        let columns = (Int64, Int16, [String], Int64, Date, Int64).self
        for try await (uid, flags, keywords, size, internalDate, modSeq) in rows.decode(columns) {
            records.append(
                StoredMessage(
                    uid: UInt32(uid),
                    flags: MessageFlags(rawValue: UInt8(truncatingIfNeeded: flags)),
                    keywords: keywords,
                    size: Int(size),
                    internalDate: internalDate,
                    modSeq: UInt64(modSeq)
                )
            )
        }
        return records
    }

    /// `keywords` without repeats, in their first order; `MailStoreError.invalidKeyword` for one that
    /// is no IMAP atom (`Keyword.isValid`), as the Maildir store refuses it.
    static func distinct(_ keywords: [String]) throws -> [String] {
        if let invalid = keywords.first(where: { !Keyword.isValid($0) }) {
            throw MailStoreError.invalidKeyword(invalid)
        }
        var seen = Set<String>()
        return keywords.filter { seen.insert($0).inserted }
    }
}

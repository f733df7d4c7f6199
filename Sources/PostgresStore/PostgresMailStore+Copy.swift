import Logging
import MailStore
import PostgresNIO

/// One message copied or moved: its UID in the source and the UID it got in the destination
/// (RFC 4315 COPYUID).
public struct CopiedMessage: Sendable, Hashable {
    /// The UID in the source mailbox.
    public var source: UInt32
    /// The new UID in the destination mailbox.
    public var destination: UInt32

    /// A pair as the store returns them; public so that tests can compare with one.
    public init(source: UInt32, destination: UInt32) {
        self.source = source
        self.destination = destination
    }
}

extension PostgresMailStore {
    /// RFC 3501 6.4.7 COPY: adds the messages of `source` among `uids` to `destination`.
    ///
    /// Flags, keywords and INTERNALDATE are kept. Returns the pairs of UIDs in ascending source order
    /// (RFC 4315 COPYUID); UIDs that do not exist are left out, and none at all copies nothing.
    /// The copies point at the same body: no byte is copied. Both mailbox rows are locked, in
    /// ascending id order; the destination's new UIDs and its one new mod-sequence are taken under its
    /// lock and committed before this returns.
    @discardableResult
    public func copy(
        uids: [UInt32],
        from source: PostgresMailbox,
        to destination: PostgresMailbox
    ) async throws -> [CopiedMessage] {
        try await transfer(uids: uids, from: source, to: destination, removingOriginals: false)
    }

    /// RFC 6851 MOVE: as `copy`, and the messages copied are expunged from `source`.
    ///
    /// The expunge is in the same transaction (with a new mod-sequence of the source's, recorded for
    /// VANISHED), whatever the messages' flags: a client never sees a message in both mailboxes or in
    /// neither.
    @discardableResult
    public func move(
        uids: [UInt32],
        from source: PostgresMailbox,
        to destination: PostgresMailbox
    ) async throws -> [CopiedMessage] {
        try await transfer(uids: uids, from: source, to: destination, removingOriginals: true)
    }

    /// COPY, and MOVE when `removingOriginals`, in one transaction with both mailbox rows locked.
    private func transfer(
        uids: [UInt32],
        from source: PostgresMailbox,
        to destination: PostgresMailbox,
        removingOriginals: Bool
    ) async throws -> [CopiedMessage] {
        try await transaction { connection in
            try await lockMailboxes([source, destination], on: connection)
            let copied = try await insertCopies(of: uids, from: source, to: destination, on: connection)
            if removingOriginals {
                // Within one mailbox the copies keep their new UIDs and the originals go.
                _ = try await remove(uids: copied.map(\.source), onlyDeleted: false, from: source, on: connection)
            }
            return copied
        }
    }

    /// Inserts the copies under the destination's lock (the caller holds it): the UIDs from its UIDNEXT
    /// on, in source UID order, all with its next mod-sequence.
    private func insertCopies(
        of uids: [UInt32],
        from source: PostgresMailbox,
        to destination: PostgresMailbox,
        on connection: PostgresConnection
    ) async throws -> [CopiedMessage] {
        let wanted = uids.map(Int64.init)
        let found = try await connection.query(
            """
            SELECT uid FROM messages
            WHERE mailbox_id = \(source.id) AND uid = ANY(\(wanted)::bigint[]) ORDER BY uid
            """,
            logger: logger
        )
        var sourceUIDs: [Int64] = []
        for try await uid in found.decode(Int64.self) { sourceUIDs.append(uid) }
        guard !sourceUIDs.isEmpty else { return [] }
        let count = Int64(sourceUIDs.count)
        let allocated = try await connection.query(
            """
            UPDATE mailboxes SET uid_next = uid_next + \(count), highest_modseq = highest_modseq + 1
            WHERE id = \(destination.id) AND uid_next + \(count) <= 4294967296
            RETURNING uid_next - \(count), highest_modseq
            """,
            logger: logger
        )
        var first: (uid: Int64, modSeq: Int64)?
        for try await (uid, modSeq) in allocated.decode((Int64, Int64).self) { first = (uid, modSeq) }
        guard let first else { throw MailStoreError.mailboxNotFound(destination.name.description) }
        let destinationUIDs = sourceUIDs.indices.map { first.uid + Int64($0) }
        try await connection.query(
            """
            INSERT INTO messages (mailbox_id, uid, body_id, flags, keywords, internal_date, modseq)
            SELECT \(destination.id), pair.target, m.body_id, m.flags, m.keywords, m.internal_date, \(first.modSeq)
            FROM unnest(\(sourceUIDs)::bigint[], \(destinationUIDs)::bigint[]) AS pair(origin, target)
            JOIN messages m ON m.mailbox_id = \(source.id) AND m.uid = pair.origin
            """,
            logger: logger
        )
        try await notifyChange(of: destination, on: connection)
        return zip(sourceUIDs, destinationUIDs).map {
            CopiedMessage(source: UInt32($0), destination: UInt32($1))
        }
    }
}

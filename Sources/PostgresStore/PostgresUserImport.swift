import Foundation
import Logging
import MailStore
import PostgresNIO

/// The user being imported by `PostgresMailStore.importUser`: its mailboxes and messages, added inside
/// the import's transaction.
///
/// A newsgroup's import (`importNewsgroup`) is one with no owner: its mailbox
/// belongs to no user, and it has no subscriptions.
public struct PostgresUserImport: Sendable {
    let store: PostgresMailStore
    let connection: PostgresConnection
    /// The owner's row; nil for a newsgroup's mailbox.
    let userID: Int64?
    /// The user's address, lowercased (`#news` for a newsgroup).
    public let user: String

    /// Adds a mailbox with its UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, special use and subscription.
    ///
    /// The UIDVALIDITY sequence is moved past the imported value, so that a mailbox made later (one
    /// deleted and made again under the same name) never gets an old value back (RFC 3501 2.3.1.1).
    public func addMailbox(_ mailbox: ImportedMailbox) async throws -> PostgresMailbox {
        guard mailbox.uidValidity > 0 else { throw MailStoreError.mailboxNotFound(mailbox.name.description) }
        let rows = try await connection.query(
            """
            INSERT INTO mailboxes (user_id, name, uid_validity, uid_next, highest_modseq, special_use)
            VALUES (\(userID), \(mailbox.name.description), \(Int64(mailbox.uidValidity)),
                    \(Int64(max(mailbox.uidNext, 1))), \(Int64(clamping: max(mailbox.highestModSeq, 1))),
                    \(mailbox.specialUse?.rawValue))
            RETURNING id
            """,
            logger: store.logger
        )
        var mailboxID: Int64?
        for try await id in rows.decode(Int64.self) { mailboxID = id }
        guard let mailboxID else { throw MailStoreError.mailboxNotFound(mailbox.name.description) }
        try await connection.query(
            """
            SELECT setval('uid_validity_sequence',
                          GREATEST((SELECT last_value FROM uid_validity_sequence), \(Int64(mailbox.uidValidity))))
            """,
            logger: store.logger
        )
        if mailbox.subscribed { try await addSubscriptions([mailbox.name]) }
        return PostgresMailbox(id: mailboxID, user: user, name: mailbox.name, uidValidity: mailbox.uidValidity)
    }

    /// Subscribes the user to `names` (RFC 3501 6.3.6: a name need not have a mailbox).
    public func addSubscriptions(_ names: [MailboxName]) async throws {
        guard let userID else { return }
        for name in names {
            try await connection.query(
                """
                INSERT INTO subscriptions (user_id, name) VALUES (\(userID), \(name.description))
                ON CONFLICT DO NOTHING
                """,
                logger: store.logger
            )
        }
    }

    /// Stores one message's bytes in chunks, as a delivery does; returns the body's id for `addMessage`.
    public func addBody(_ bytes: [UInt8]) async throws -> Int64 {
        try await store.insertBody(bytes, on: connection)
    }

    /// Adds one message with the bytes of `body` (from `addBody`, in this import or an earlier committed
    /// one: copies of a message share one body) under its own `uid` and `modSeq`, not renumbered; the
    /// mailbox's UIDNEXT and HIGHESTMODSEQ are raised past them if they were not already.
    public func addMessage(
        body bodyID: Int64,
        uid: UInt32,
        flags: MessageFlags,
        keywords: [String],
        internalDate: Date,
        modSeq: UInt64,
        to mailbox: PostgresMailbox
    ) async throws {
        guard uid > 0 else { throw MailStoreError.messageNotFound(uid: uid) }
        let modSeq = Int64(clamping: max(modSeq, 1))
        let keywords = try PostgresMailStore.distinct(keywords)
        try await connection.query(
            """
            INSERT INTO messages (mailbox_id, uid, body_id, flags, keywords, internal_date, modseq)
            VALUES (\(mailbox.id), \(Int64(uid)), \(bodyID), \(Int16(flags.rawValue)),
                    \(keywords), \(internalDate), \(modSeq))
            """,
            logger: store.logger
        )
        try await connection.query(
            """
            UPDATE mailboxes SET uid_next = GREATEST(uid_next, \(Int64(uid) + 1)),
                                 highest_modseq = GREATEST(highest_modseq, \(modSeq))
            WHERE id = \(mailbox.id)
            """,
            logger: store.logger
        )
    }
}

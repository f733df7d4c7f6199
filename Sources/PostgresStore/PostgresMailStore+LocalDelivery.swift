import Foundation
import MailStore
import PostgresNIO

/// Local delivery into the database: one body row and one message row per recipient's INBOX, all in one
/// transaction (`deliver(_:to:)`, one statement for one recipient), committed before the SMTP `250`.
extension PostgresMailStore: LocalDelivery, MailStorageBackend {
    /// The `queue_entries` table: one queue that every node works.
    public var outboundQueue: any OutboundQueueStore { self }

    /// A user of the database; its INBOX row, found by the same query, is kept for the delivery.
    public func acceptsMail(for address: String) async throws -> Bool {
        let user = address.lowercased()
        let rows = try await client.query(
            """
            SELECT m.id, m.uid_validity FROM users u
            LEFT JOIN mailboxes m ON m.user_id = u.id AND m.name = \(MailboxName.inbox.description)
            WHERE u.address = \(user)
            """,
            logger: logger
        )
        var exists = false
        for try await (id, validity) in rows.decode((Int64?, Int64?).self) {
            exists = true
            if let id, let validity { inboxCache.remember(Self.inbox(of: user, id: id, uidValidity: validity)) }
        }
        return exists
    }

    /// The users' INBOXes (those the RCPT checks found, then one query for the rest), then one
    /// transaction for all of them.
    ///
    /// Either every user has the message or none has. A user without an INBOX (removed meanwhile) is a
    /// failure of its own: an INBOX kept from the RCPT check that is gone fails the delivery without
    /// writing, and it is tried once more with the INBOXes looked up afresh.
    public func deliverToInboxes(_ bytes: [UInt8], users: [String]) async throws -> [InboxDelivery] {
        let addresses = users.map { $0.lowercased() }
        var inboxes = try await inboxes(of: addresses, cached: true)
        do {
            try await store(bytes, in: addresses.compactMap { inboxes[$0] })
        } catch MailStoreError.mailboxNotFound {
            inboxCache.forget(addresses)
            inboxes = try await self.inboxes(of: addresses, cached: false)
            try await store(bytes, in: addresses.compactMap { inboxes[$0] })
        }
        return users.map { user in
            InboxDelivery(user: user, failure: inboxes[user.lowercased()] == nil ? .userNotFound(user) : nil)
        }
    }

    private func store(_ bytes: [UInt8], in inboxes: [PostgresMailbox]) async throws {
        if !inboxes.isEmpty { _ = try await deliver(bytes, to: inboxes, flags: [], keywords: [], internalDate: Date()) }
    }

    /// The INBOX of each of `addresses` (lower-cased) that has one: with `cached`, those kept are taken
    /// as they are and only the others looked up.
    private func inboxes(of addresses: [String], cached: Bool) async throws -> [String: PostgresMailbox] {
        var found = cached ? inboxCache.inboxes(of: addresses) : [:]
        let missing = Array(Set(addresses).subtracting(found.keys))
        guard !missing.isEmpty else { return found }
        let rows = try await client.query(
            """
            SELECT u.address, m.id, m.uid_validity FROM users u
            JOIN mailboxes m ON m.user_id = u.id AND m.name = \(MailboxName.inbox.description)
            WHERE u.address = ANY(\(missing))
            """,
            logger: logger
        )
        for try await (address, id, validity) in rows.decode((String, Int64, Int64).self) {
            let inbox = Self.inbox(of: address, id: id, uidValidity: validity)
            inboxCache.remember(inbox)
            found[address] = inbox
        }
        return found
    }

    private static func inbox(of user: String, id: Int64, uidValidity: Int64) -> PostgresMailbox {
        PostgresMailbox(id: id, user: user, name: .inbox, uidValidity: UInt32(truncatingIfNeeded: uidValidity))
    }
}

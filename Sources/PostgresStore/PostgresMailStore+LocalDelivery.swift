import MailStore
import PostgresNIO

/// Local delivery into the database: one body row and one message row per recipient's INBOX, all in one
/// transaction (`deliver(_:to:)`), committed before the SMTP `250`.
extension PostgresMailStore: LocalDelivery, MailStorageBackend {
    /// The `queue_entries` table: one queue that every node works.
    public var outboundQueue: any OutboundQueueStore { self }

    /// A user of the database (every user has an INBOX).
    public func acceptsMail(for address: String) async throws -> Bool {
        try await userExists(address)
    }

    /// The users' INBOXes found in one query, then one transaction for all of them.
    ///
    /// Either every user has the message or none has. A user without an INBOX (removed meanwhile) is a failure of its own.
    public func deliverToInboxes(_ bytes: [UInt8], users: [String]) async throws -> [InboxDelivery] {
        let inboxes = try await inboxes(of: users)
        let found = users.compactMap { inboxes[$0.lowercased()] }
        if !found.isEmpty { _ = try await deliver(bytes, to: found) }
        return users.map { user in
            InboxDelivery(user: user, failure: inboxes[user.lowercased()] == nil ? .userNotFound(user) : nil)
        }
    }

    /// The INBOX of each of `users` that has one, by lower-cased address.
    private func inboxes(of users: [String]) async throws -> [String: PostgresMailbox] {
        let addresses = Array(Set(users.map { $0.lowercased() }))
        let rows = try await client.query(
            """
            SELECT u.address, m.id, m.uid_validity FROM users u
            JOIN mailboxes m ON m.user_id = u.id AND m.name = \(MailboxName.inbox.description)
            WHERE u.address = ANY(\(addresses))
            """,
            logger: logger
        )
        var found: [String: PostgresMailbox] = [:]
        for try await (address, id, validity) in rows.decode((String, Int64, Int64).self) {
            found[address] = PostgresMailbox(
                id: id,
                user: address,
                name: .inbox,
                uidValidity: UInt32(truncatingIfNeeded: validity)
            )
        }
        return found
    }
}

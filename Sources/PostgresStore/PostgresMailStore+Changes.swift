import Logging
import PostgresNIO

/// The ids of mailboxes whose changes committed, on any node, in the order PostgreSQL delivers them.
///
/// A notification says only "look again": the listener reads `messages(in:changedSince:)` for what
/// changed. PostgreSQL folds repeats of one mailbox within one transaction into one notification.
public struct MailboxChangeNotifications: AsyncSequence, Sendable {
    /// A changed mailbox's id (`PostgresMailbox.id`).
    public typealias Element = Int64

    let notifications: PostgresNotificationSequence

    /// Starts reading notifications.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: notifications.makeAsyncIterator())
    }

    /// Reads the next changed mailbox.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: PostgresNotificationSequence.AsyncIterator

        /// The next changed mailbox's id; nil when listening has ended.
        ///
        /// Payloads that are not ids (another program's on the same channel) are skipped.
        public mutating func next() async throws -> Int64? {
            while let notification = try await base.next() {
                if let id = Int64(notification.payload) { return id }
            }
            return nil
        }
    }
}

extension PostgresMailStore {
    /// Runs `body` while this node listens for committed mailbox changes (`LISTEN` on
    /// `PostgresStoreDefaults.changeChannel`): IDLE on one node hears a delivery made on another.
    ///
    /// `LISTEN` is in force when `body` starts, so nothing committed after that is missed. It holds one
    /// pooled connection until `body` returns: a node listens once and fans out to its sessions.
    public func withMailboxChanges<Value: Sendable>(
        _ body: (MailboxChangeNotifications) async throws -> Value
    ) async throws -> Value {
        try await client.withConnection { connection in
            try await connection.listen(on: PostgresStoreDefaults.changeChannel) { notifications in
                try await body(MailboxChangeNotifications(notifications: notifications))
            }
        }
    }
}

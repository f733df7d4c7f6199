import Synchronization

/// The INBOX rows of users this node checked lately, so that a delivery does not look up again the
/// INBOX its RCPT check just found.
///
/// An entry can only go stale by its user being removed (and maybe made again, with a new INBOX row:
/// row ids are never reused), and then a delivery to the old row finds no row and fails without
/// writing anything; the caller forgets the entries and looks again. Bounded: when full it starts
/// over, which costs one lookup per user.
final class InboxCache: Sendable {
    private let entries = Mutex([String: PostgresMailbox]())
    private let capacity: Int

    /// A cache of at most `capacity` users.
    init(capacity: Int = PostgresStoreDefaults.inboxCacheCapacity) {
        self.capacity = capacity
    }

    /// The INBOX of each of `users` (lower-cased addresses) that has an entry.
    func inboxes(of users: [String]) -> [String: PostgresMailbox] {
        entries.withLock { entries in
            var found: [String: PostgresMailbox] = [:]
            for user in users { found[user] = entries[user] }
            return found
        }
    }

    /// Remembers `inbox` as its user's.
    func remember(_ inbox: PostgresMailbox) {
        entries.withLock { entries in
            if entries.count >= capacity, entries[inbox.user] == nil { entries.removeAll(keepingCapacity: true) }
            entries[inbox.user] = inbox
        }
    }

    /// Forgets the entries of `users`.
    func forget(_ users: [String]) {
        entries.withLock { entries in
            for user in users { entries[user] = nil }
        }
    }
}

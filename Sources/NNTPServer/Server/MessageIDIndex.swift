import Synchronization

/// Message-ID → article number per group, so that ARTICLE <id> and friends do not read every overview
/// line of every group each time.
///
/// A group's table is rebuilt when its mailbox's change token (`MailboxLook.token`) moved on.
final class MessageIDIndex: Sendable {
    private struct Table {
        var token: UInt64
        var numbers: [String: UInt32]
    }

    private let tables = Mutex([String: Table]())

    /// The change token `group`'s table was built at, or nil when there is none.
    func token(group: String) -> UInt64? {
        tables.withLock { $0[group]?.token }
    }

    /// The number of `id` in `group`'s table, or nil.
    func number(of id: String, group: String) -> UInt32? {
        tables.withLock { $0[group]?.numbers[id] }
    }

    /// Replaces `group`'s table (the first article keeps an id that appears twice).
    func store(group: String, token: UInt64, pairs: [(String, UInt32)]) {
        var numbers: [String: UInt32] = [:]
        numbers.reserveCapacity(pairs.count)
        for (id, number) in pairs where numbers[id] == nil { numbers[id] = number }
        tables.withLock { $0[group] = Table(token: token, numbers: numbers) }
    }
}

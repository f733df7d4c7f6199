import Synchronization

/// Message-ID → article number per group, so that ARTICLE <id> and friends do not read every overview
/// line of every group each time.
///
/// A group's table is rebuilt when its mailbox's `changeCount` moved on.
final class MessageIDIndex: Sendable {
    private struct Table {
        var changeCount: UInt64
        var numbers: [String: UInt32]
    }

    private let tables = Mutex([String: Table]())

    /// The number of `id` in `group` if the table is current for `changeCount`; `.stale` when it must
    /// be rebuilt first.
    enum Lookup: Equatable {
        case found(UInt32)
        case absent
        case stale
    }

    func lookUp(_ id: String, group: String, changeCount: UInt64) -> Lookup {
        tables.withLock { tables in
            guard let table = tables[group], table.changeCount == changeCount else { return .stale }
            return table.numbers[id].map(Lookup.found) ?? .absent
        }
    }

    /// Replaces `group`'s table (the first article keeps an id that appears twice).
    func store(group: String, changeCount: UInt64, pairs: [(String, UInt32)]) {
        var numbers: [String: UInt32] = [:]
        numbers.reserveCapacity(pairs.count)
        for (id, number) in pairs where numbers[id] == nil { numbers[id] = number }
        tables.withLock { $0[group] = Table(changeCount: changeCount, numbers: numbers) }
    }
}

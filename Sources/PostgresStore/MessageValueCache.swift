import Synchronization

/// Header sections and derived values (ENVELOPE, BODYSTRUCTURE, overview lines) this node read from
/// the database, so that the next session's FETCH of the same headers does not carry them over the
/// wire again.
///
/// Nothing here can go stale: a mailbox row's id is never reused and a UID never names another message
/// in it, so (mailbox, UID) always means the same bytes and everything derived from them. What can
/// change is whether the message is still there, and the reads that use this cache still ask the
/// database that, in the same query. Bounded in bytes; the oldest entries go first.
final class MessageValueCache: Sendable {
    /// One value: of message `uid` of mailbox row `mailbox`, of `kind` (`headerKind` or a derived kind).
    struct Key: Hashable {
        var mailbox: Int64
        var uid: UInt32
        var kind: String
    }

    /// The kind under which header sections are kept (a derived kind never starts with `#`).
    static let headerKind = "#header"

    private struct State {
        var values: [Key: [UInt8]] = [:]
        /// Keys in the order they came, from `head` on; earlier slots are spent.
        var order: [Key] = []
        var head = 0
        var bytes = 0
    }

    /// What one entry costs beyond its value's bytes (the key, the dictionary's slot): a rough figure,
    /// so that many small values cannot exceed the bound by much.
    private static let entryOverhead = 96
    private let state = Mutex(State())
    private let capacity: Int

    /// A cache of at most `capacity` bytes.
    init(capacity: Int = PostgresStoreDefaults.messageValueCacheBytes) {
        self.capacity = capacity
    }

    /// The values kept for `uids` of `mailbox` under `kind`, aligned to `uids`.
    func values(mailbox: Int64, uids: [UInt32], kind: String) -> [[UInt8]?] {
        state.withLock { state in uids.map { state.values[Key(mailbox: mailbox, uid: $0, kind: kind)] } }
    }

    /// Keeps `values` of `mailbox` under `kind`, the oldest entries leaving to make room.
    func store(mailbox: Int64, kind: String, _ values: [(uid: UInt32, value: [UInt8])]) {
        state.withLock { state in
            for (uid, value) in values {
                let key = Key(mailbox: mailbox, uid: uid, kind: kind)
                let cost = value.count + Self.entryOverhead
                guard cost <= capacity / 16 else {
                    // Too big to keep; one kept before under the key must not stay as the answer.
                    if let gone = state.values.removeValue(forKey: key) {
                        state.bytes -= gone.count + Self.entryOverhead
                    }
                    continue
                }
                if let replaced = state.values.updateValue(value, forKey: key) {
                    state.bytes += value.count - replaced.count
                } else {
                    state.order.append(key)
                    state.bytes += cost
                }
                while state.bytes > capacity, state.head < state.order.count {
                    let oldest = state.order[state.head]
                    state.head += 1
                    if let gone = state.values.removeValue(forKey: oldest) {
                        state.bytes -= gone.count + Self.entryOverhead
                    }
                }
                if state.head > 1024, state.head * 2 > state.order.count {
                    state.order.removeFirst(state.head)
                    state.head = 0
                }
            }
        }
    }

    /// How many bytes the entries take, by the cache's count.
    var bytes: Int { state.withLock { $0.bytes } }
}

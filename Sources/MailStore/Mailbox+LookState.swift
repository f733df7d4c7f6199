import Synchronization

/// Whether a session's look would find nothing, answered without a hop onto the mailbox's queue.
///
/// Most commands change nothing, yet each ends with a look (RFC 3501 §7: untagged updates after a
/// command), and a hop costs two thread wake-ups: a third of a single-message FETCH's. The mailbox
/// publishes its change count, and whether a look must run anyway, in one atomic word each time either
/// changes; a session whose token equals the count skips the look.
///
/// A reader racing a change sees the word from before or after it, as a look queued just before or
/// just after the change would: the answer is one the mailbox gave at some instant.
enum LookState {
    /// The low bit: a look must run on the queue (no folder loaded, the mailbox gone, or new messages
    /// waiting to be claimed as `\Recent`, which only a look hands out).
    static let mustLook: UInt64 = 1

    static func word(changeCount: UInt64, mustLook: Bool) -> UInt64 {
        (changeCount << 1) | (mustLook ? Self.mustLook : 0)
    }
}

extension Mailbox {
    /// Publishes the change count and whether a look must run; called whenever either may change.
    func noteLookState() {
        let mustLook = removed || (folder?.unclaimedRecent.isEmpty ?? false) == false
        lookState.store(LookState.word(changeCount: changeCount, mustLook: mustLook), ordering: .releasing)
    }

    /// Whether a look since `token` would return no messages and claim nothing.
    public nonisolated func isCurrent(token: UInt64) -> Bool {
        lookState.load(ordering: .acquiring) == LookState.word(changeCount: token, mustLook: false)
    }
}

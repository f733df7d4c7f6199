import MailStorage
import NIOCore
import Synchronization

/// Brings every session idling on a mailbox up to date after a change, with one look at the mailbox.
///
/// One watch per mailbox with IDLE sessions listens to its `changeSignals()`. For each change it reads the
/// mailbox once (`look`, which also claims the new `\Recent` messages) and hands that state to
/// each event loop as one task, which updates the views of the loop's subscribers and writes their
/// untagged responses. Before, each idling session was a listener of its own: a delivery to 10,000 of
/// them was 10,000 task wake-ups, 10,000 hops through the mailbox's serial queue and 10,000 writes from
/// outside the event loop.
///
/// A new subscriber is brought up to date by the next round on its own, so that nothing changed between
/// its last command and its IDLE is missed; rounds run one at a time, so each loop sees them in order.
final class IdleFanOut: Sendable {
    private struct Watch {
        /// Tells this watch from a later one of the same mailbox, whose tasks must not be confused with its own.
        let generation: UInt64
        let mailbox: any MailboxHandle
        /// Subscribers by event loop, then by identity.
        var loops: [ObjectIdentifier: [ObjectIdentifier: IdleSubscriber]] = [:]
        var count = 0
        /// The mailbox changed: the next round updates everyone.
        var everyone = false
        /// Subscribers that joined since the last round: the next round updates them.
        var joined: [IdleSubscriber] = []
        let wake: AsyncStream<Void>.Continuation
        var task: Task<Void, Never>?
    }

    /// By the mailbox's `identity`.
    private let watches = Mutex([String: Watch]())
    private let generations = Atomic<UInt64>(0)

    /// A fan-out with no mailbox watched.
    init() {}

    /// How many sessions idle, and on how many mailboxes (for tests).
    var counts: (sessions: Int, mailboxes: Int) {
        watches.withLock { watches in (watches.values.reduce(0) { $0 + $1.count }, watches.count) }
    }

    /// Adds `subscriber` to the sessions idling on `mailbox`; the next round brings it up to date.
    func subscribe(_ subscriber: IdleSubscriber, to mailbox: any MailboxHandle) {
        let key = mailbox.identity
        watches.withLock { watches in
            // Taken out while it changes, so that its dictionaries are changed in place, not copied.
            var watch: Watch
            if let existing = watches.removeValue(forKey: key) {
                watch = existing
            } else {
                let (stream, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
                let generation = generations.add(1, ordering: .relaxed).newValue
                watch = Watch(generation: generation, mailbox: mailbox, wake: wake)
                watch.task = start(Key(mailbox: key, generation: generation), mailbox, stream)
            }
            watch.loops[ObjectIdentifier(subscriber.channel.eventLoop), default: [:]][ObjectIdentifier(subscriber)] =
                subscriber
            watch.count += 1
            watch.joined.append(subscriber)
            watch.wake.yield()
            watches[key] = watch
        }
    }

    /// Removes `subscriber`; the last one to leave stops the watch (and the mailbox's own watching).
    func unsubscribe(_ subscriber: IdleSubscriber, from mailbox: any MailboxHandle) {
        let key = mailbox.identity
        watches.withLock { watches in
            guard var watch = watches.removeValue(forKey: key) else { return }
            let loop = ObjectIdentifier(subscriber.channel.eventLoop)
            if watch.loops[loop]?.removeValue(forKey: ObjectIdentifier(subscriber)) != nil {
                if watch.loops[loop]?.isEmpty == true { watch.loops[loop] = nil }
                watch.count -= 1
                watch.joined.removeAll { $0 === subscriber }
            }
            guard watch.count == 0 else {
                watches[key] = watch
                return
            }
            watch.wake.finish()
            watch.task?.cancel()
        }
    }

    /// A watch of one mailbox, told apart from a later watch of the same mailbox.
    private struct Key: Sendable {
        var mailbox: String
        var generation: UInt64
    }

    /// The watch's task: it listens to the mailbox's changes, and runs a round per wake-up.
    private func start(_ key: Key, _ mailbox: any MailboxHandle, _ wakes: AsyncStream<Void>) -> Task<Void, Never> {
        Task {
            // Listening before the first round reads the mailbox: a change in between is not missed.
            let changes = await mailbox.changeSignals()
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await _ in changes { self.changed(key) }
                }
                group.addTask {
                    for await _ in wakes { await self.round(key, mailbox) }
                }
            }
        }
    }

    private func changed(_ key: Key) {
        watches.withLock { watches in
            guard watches[key.mailbox]?.generation == key.generation else { return }
            watches[key.mailbox]?.everyone = true
            watches[key.mailbox]?.wake.yield()
        }
    }

    /// Reads the mailbox once and has each event loop bring its subscribers up to date.
    private func round(_ key: Key, _ mailbox: any MailboxHandle) async {
        // Who is updated is decided before the mailbox is read, so that each of them gets a state at
        // least as new as the view it joined with.
        let batches = watches.withLock { watches -> [[IdleSubscriber]] in
            guard let watch = watches[key.mailbox], watch.generation == key.generation else { return [] }
            let batches: [[IdleSubscriber]]
            if watch.everyone {
                batches = watch.loops.values.map { Array($0.values) }
            } else {
                batches = Array(Dictionary(grouping: watch.joined) { ObjectIdentifier($0.channel.eventLoop) }.values)
            }
            watches[key.mailbox]?.everyone = false
            watches[key.mailbox]?.joined = []
            return batches
        }
        guard !batches.isEmpty else { return }
        // A store that cannot be read now (a database away) is read again at the next signal.
        guard let look = try? await mailbox.look(since: nil, claimRecent: true) else { return }
        let snapshot = IdleSubscriber.Snapshot(
            token: look.token,
            messages: (look.messages ?? []).map(MailStoreExecutor.viewMessage)
        )
        var recent = look.recent
        for batch in batches {
            guard let loop = batch.first?.channel.eventLoop else { continue }
            let claimed = recent
            recent = []
            loop.execute { IdleSubscriber.apply(snapshot, recent: claimed, to: batch) }
        }
    }
}

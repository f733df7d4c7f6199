import Foundation
import Logging
import Synchronization

/// One node's ear on the database: a single `LISTEN` connection whose notifications (the ids of mailboxes
/// whose changes committed, on any node) are handed to every local subscriber of that mailbox.
///
/// It listens only once someone subscribes (an idle store holds no connection for it), and for as long
/// as its store runs. A subscription returns once `LISTEN` is in force, so that nothing committed after
/// it is missed. When listening fails, every subscriber hears one change (look again: something may have
/// been missed) and the hub listens anew after `PostgresStoreDefaults.changeListenRetry`.
final class PostgresChangeHub: Sendable {
    private struct State {
        var subscribers: [Int64: [UUID: AsyncStream<Void>.Continuation]] = [:]
        /// Subscribers waiting for `LISTEN` to be in force (or for the hub to give up on it).
        var waiting: [CheckedContinuation<Void, Never>] = []
        var listening = false
        var stopped = false
    }

    private let state = Mutex(State())
    /// Tells `run` that someone subscribed; finished when the hub stops.
    private let wanted: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
        wanted = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Yields once for each committed change of mailbox `id` from now on (repeats folded while the
    /// reader is busy), until the caller stops iterating or the store stops.
    func subscribe(to id: Int64) async -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let key = UUID()
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers[id]?.removeValue(forKey: key) }
        }
        await withCheckedContinuation { (ready: CheckedContinuation<Void, Never>) in
            let (answer, stopped) = state.withLock { state -> (Bool, Bool) in
                if state.stopped { return (true, true) }
                state.subscribers[id, default: [:]][key] = continuation
                if state.listening { return (true, false) }
                state.waiting.append(ready)
                return (false, false)
            }
            // Outside the lock: finishing runs `onTermination`, which takes it.
            if stopped { continuation.finish() }
            if answer { ready.resume() }
            wanted.continuation.yield()
        }
        return stream
    }

    /// Listens while the store runs, from the first subscription until the task is cancelled.
    func run(_ store: PostgresMailStore) async {
        defer { stop() }
        var wakeups = wanted.stream.makeAsyncIterator()
        // Nil when cancelled before anyone subscribed.
        guard await wakeups.next() != nil else { return }
        while !Task.isCancelled {
            do {
                try await store.withMailboxChanges { changes in
                    let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                        state.listening = true
                        defer { state.waiting = [] }
                        return state.waiting
                    }
                    for waiter in ready { waiter.resume() }
                    for try await id in changes { notify(id) }
                }
            } catch {
                if !Task.isCancelled {
                    logger.warning(
                        "listening for mailbox changes failed; listening again",
                        metadata: ["error": "\(error)"]
                    )
                }
            }
            // Not listening now: whatever committed meanwhile is unheard, so every subscriber looks again,
            // and those still waiting go on (they too look at the mailbox before they wait).
            let (all, waiting) = state.withLock { state in
                state.listening = false
                defer { state.waiting = [] }
                return (state.subscribers.values.flatMap(\.values), state.waiting)
            }
            for subscriber in all { subscriber.yield() }
            for waiter in waiting { waiter.resume() }
            try? await Task.sleep(for: PostgresStoreDefaults.changeListenRetry)
        }
    }

    private func notify(_ id: Int64) {
        let subscribers = state.withLock { Array(($0.subscribers[id] ?? [:]).values) }
        for subscriber in subscribers { subscriber.yield() }
    }

    /// The store is closing: every subscription ends, no new one waits.
    private func stop() {
        let (all, waiting) = state.withLock { state in
            state.stopped = true
            state.listening = false
            defer {
                state.subscribers = [:]
                state.waiting = []
            }
            return (state.subscribers.values.flatMap(\.values), state.waiting)
        }
        for subscriber in all { subscriber.finish() }
        for waiter in waiting { waiter.resume() }
        wanted.continuation.finish()
    }
}

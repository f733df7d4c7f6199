import Dispatch
import Foundation
import Synchronization

/// Group commit: callers hand in work that must reach the disk before they are answered; one committer
/// takes everything waiting, makes it durable together (`process`, with as few syncs as its protocol
/// allows), answers everybody in that batch, then starts again with whoever arrived meanwhile.
///
/// There is no timer: a lone caller is served at once, and a batch grows by itself while the previous
/// one is on the disk, so the batch size follows the load. Nobody is answered before the syncs of the
/// batch that holds their item have finished.
final class GroupCommitter<Item: Sendable, Output: Sendable>: Sendable {
    typealias Process = @Sendable ([Item]) -> [Result<Output, any Error>]

    private typealias Waiter = (item: Item, continuation: CheckedContinuation<Output, any Error>)

    private struct State {
        var running = false
        var waiting: [Waiter] = []
    }

    private let state = Mutex(State())
    /// A serial queue: on Linux it gets a thread of its own when busy (overcommit), so the committer
    /// never waits for the few threads of a width-limited concurrent queue.
    private let queue: DispatchQueue
    private let process: Process

    init(label: String = "correo.mailstore.group-commit", process: @escaping Process) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
        self.process = process
    }

    /// Items waiting for the next batch (for tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Returns once `item` was processed in a batch (its syncs done), with its own result.
    func commit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.waiting.append((item, continuation))
                guard !state.running else { return false }
                state.running = true
                return true
            }
            if start { queue.async { self.drain() } }
        }
    }

    private func drain() {
        while true {
            let batch = state.withLock { state -> [Waiter] in
                let batch = state.waiting
                state.waiting = []
                if batch.isEmpty { state.running = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            let results = process(batch.map(\.item))
            for (index, waiter) in batch.enumerated() {
                let result = index < results.count ? results[index] : .failure(MailStoreError.deliveryFinished)
                waiter.continuation.resume(with: result)
            }
        }
    }
}

/// Runs blocking calls (fsyncs) side by side, each on a thread of its own, and waits for all of them.
///
/// Why side by side: on ext4 an fsync either waits for a journal commit or, when its inode's transaction
/// has already committed, sends a cache flush of its own; N fsyncs one after another cost N flushes
/// (measured: 2–4 ms each here under load), while N concurrent ones join the same commit and the block
/// layer merges their flushes into one.
enum ParallelSync {
    private static let lanes = Lanes(label: "correo.mailstore.sync", count: MailStoreDefaults.deliverySyncThreads)

    /// `work` applied to each element, in order.
    ///
    /// The first element runs on the calling thread, which
    /// would otherwise only wait: a lone message's file and folder then cost one thread hand-off, not two.
    static func map<T: Sendable, R: Sendable>(_ items: [T], _ work: @escaping @Sendable (T) -> R) -> [R] {
        lanes.parts(items.count) { work(items[$0]) }
    }
}

import Dispatch
import Foundation

/// Runs blocking file work (fsync, crypt) on Dispatch threads instead of Swift's cooperative pool,
/// whose few threads must never sleep in the kernel.
enum BlockingIO {
    private static let queue = DispatchQueue(
        label: "correo.mailstore.blocking-io",
        qos: .userInitiated,
        attributes: .concurrent
    )

    /// Runs `work` on a blocking-I/O thread and returns its result.
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    /// Runs work that cannot fail on a blocking-I/O thread.
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }
}

/// A serial executor on its own Dispatch queue: a `Mailbox` actor runs its file work (renames,
/// directory scans, fsyncs) there, so it never blocks a cooperative-pool thread.
final class DispatchQueueExecutor: SerialExecutor, @unchecked Sendable {
    private let queue: DispatchQueue
    /// Marks a queue with the executor it belongs to, so that code running on it can prove its
    /// isolation (`checkIsolated`) without being a task.
    private nonisolated(unsafe) static let owner = DispatchSpecificKey<ObjectIdentifier>()

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
        queue.setSpecific(key: Self.owner, value: ObjectIdentifier(self))
    }

    /// Whether the calling code runs on this executor's queue.
    private var isCurrent: Bool { DispatchQueue.getSpecific(key: Self.owner) == ObjectIdentifier(self) }

    /// Lets `assumeIsolated` accept a block of `runAfter`, which runs on the queue outside any task.
    func checkIsolated() {
        precondition(isCurrent, "not on the queue of \(queue.label)")
    }

    func isIsolatingCurrentContext() -> Bool? { isCurrent }

    /// Runs `work` on the queue once `delay` has passed: a timer that needs no thread of Swift's
    /// cooperative pool, which a busy process can keep from a sleeping task for seconds (the settle
    /// waits of `SettleTests` were seen to stall for a minute in the whole test suite).
    func runAfter(_ delay: Duration, _ work: @escaping @Sendable () -> Void) {
        let (seconds, attoseconds) = delay.components
        let nanoseconds = max(0, seconds) * 1_000_000_000 + max(0, attoseconds) / 1_000_000_000
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds)), execute: work)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // The block holds the executor: a job can drop the last reference to the mailbox that owns
        // it (a scheduled cache write's task ending), and the executor must outlive the job running on it.
        queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}

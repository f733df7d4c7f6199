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

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
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

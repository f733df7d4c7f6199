import Foundation

/// A task executor with threads of its own, made as they are needed, for test code that blocks.
///
/// Swift's cooperative pool has one thread per core (two on CI), and libdispatch does not widen it when
/// its threads block: a test waiting synchronously on a socket or a pipe for its in-process server holds
/// one of those two threads, and two such tests starve every server, actor and timer of the run. A test
/// that runs here may block one of these threads instead; the pool stays free for what it waits on.
public final class ThreadedTaskExecutor: TaskExecutor, @unchecked Sendable {
    /// The one executor of a test run: threads, once made, wait for the next job.
    public static let shared = ThreadedTaskExecutor(maximumThreads: 64)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var threads = 0
    private var idleThreads = 0
    private let maximumThreads: Int

    init(maximumThreads: Int) { self.maximumThreads = maximumThreads }

    /// Queues `job` for the next free thread, making one when none is free.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        // A new thread only when none waits: a blocked thread must never hold up a ready job.
        let spawn = idleThreads == 0 && threads < maximumThreads
        if spawn { threads += 1 }
        condition.signal()
        condition.unlock()
        if spawn { Thread.detachNewThread { self.work() } }
    }

    private func work() {
        while true {
            condition.lock()
            idleThreads += 1
            while jobs.isEmpty { condition.wait() }
            idleThreads -= 1
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

import Foundation

/// A task executor with threads of its own, made as they are needed, for test code that blocks.
///
/// Swift's cooperative pool has one thread per core (two on CI), and libdispatch does not widen it when
/// its threads block: a test waiting synchronously on a socket or a pipe for its in-process server holds
/// one of those two threads, and two such tests starve every server, actor and timer of the run. A test
/// that runs here may block one of these threads instead; the pool stays free for what it waits on.
public final class ThreadedTaskExecutor: TaskExecutor, @unchecked Sendable {
    /// The one executor of a test run: threads, once made, wait for the next job.
    ///
    /// The bound is far above what a run blocks at once (a job queued behind threads that all wait
    /// for it would wait for ever); it only stops a runaway test from making threads without end.
    public static let shared = ThreadedTaskExecutor(maximumThreads: 512)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var threads = 0
    private var idleThreads = 0
    /// Threads made but not yet waiting for a job: each takes one of the queued jobs when it starts.
    private var startingThreads = 0
    private let maximumThreads: Int

    /// An executor that makes at most `maximumThreads` threads (tests of the executor make their own).
    public init(maximumThreads: Int) { self.maximumThreads = maximumThreads }

    /// Queues `job` for a free thread, making one unless an idle or starting thread will take it.
    ///
    /// Counted against the queue, not "is any thread idle": an idle thread already woken for an earlier
    /// job still counts as idle until it takes that job, and a job queued meanwhile would otherwise wait
    /// behind whatever that thread then blocks on.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        let spawn = jobs.count > idleThreads + startingThreads && threads < maximumThreads
        if spawn {
            threads += 1
            startingThreads += 1
        }
        condition.signal()
        condition.unlock()
        if spawn { Thread.detachNewThread { self.work() } }
    }

    private func work() {
        condition.lock()
        startingThreads -= 1
        while true {
            idleThreads += 1
            while jobs.isEmpty { condition.wait() }
            idleThreads -= 1
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
            condition.lock()
        }
    }
}

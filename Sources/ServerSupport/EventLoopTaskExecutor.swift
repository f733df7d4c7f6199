import NIOCore

/// An event loop as a task executor (SE-0417): a task that prefers it runs its nonisolated code on that
/// loop's thread, and resumes there after each suspension.
///
/// Why: work that a connection hands to a task (a message on its way into the store) otherwise starts on
/// a thread of Swift's cooperative pool and hops back to the loop for every answer, a wake-up and two
/// context switches each way per message. Preferring the connection's own loop leaves only the hops to
/// the threads that really block (the group commit's syncs). Code run this way must not block: it is on
/// the loop, as a handler is.
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop the jobs run on.
    public let loop: any EventLoop

    /// An executor that runs jobs on `loop`.
    public init(_ loop: any EventLoop) { self.loop = loop }

    /// Runs `job` on the loop, after what the loop is doing (on its next turn when called from it).
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// The executor as the runtime refers to it.
    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }
}

import Foundation
import MailTestSupport
import Testing

/// The executor that `.offThePool` tests block on: a job must never wait behind a thread that blocks.
@Suite struct ThreadedTaskExecutorTests {
    /// Eight jobs that each block until all eight run get eight threads at once.
    ///
    /// One thread is idle when they are queued, and it is woken for the first job. The executor once
    /// counted that thread idle for every job queued before it woke, made none for them, and ran all
    /// eight on it one after another: here each waited out its 20 s; in `swift test`, a test that
    /// blocks until another test's job has run waited for ever.
    @Test func jobsThatWaitForEachOtherEachGetAThread() async {
        let executor = ThreadedTaskExecutor(maximumThreads: 64)
        await withTaskGroup(of: Void.self) { group in group.addTask(executorPreference: executor) {} }
        try? await Task.sleep(for: .milliseconds(50))  // that thread back to waiting for a job
        let barrier = Barrier(count: 8)
        let arrived = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask(executorPreference: executor) { barrier.arriveAndWait(seconds: 20) } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(arrived == 8)
    }
}

/// `count` threads meet here; each waits at most `seconds` for the others.
private final class Barrier: @unchecked Sendable {
    private let condition = NSCondition()
    private let count: Int
    private var arrived = 0

    init(count: Int) { self.count = count }

    /// Whether all `count` arrived before the deadline.
    func arriveAndWait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        condition.broadcast()
        while arrived < count {
            if !condition.wait(until: deadline) { return arrived >= count }
        }
        return true
    }
}

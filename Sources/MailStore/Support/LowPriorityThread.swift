import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One thread of the process at a lower CPU priority (nice + 10) for work no client waits for: the
/// cache files a mailbox writes after a session (17 MB of `correo-derived` after a first header sync of
/// 20,000 messages is 130 ms of copying here).
///
/// On two cores such a write shared the CPU evenly with the next client's commands; at nice 10 it gets
/// what they leave. Linux gives each thread its own nice value, so only this thread is lowered (a
/// thread of Dispatch's pool, lowered, would carry the lower priority into unrelated work, and an
/// unprivileged process cannot raise it back).
final class LowPriorityThread: @unchecked Sendable {
    static let shared = LowPriorityThread()

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in serve() }
        thread.name = "correo.low-priority"
        thread.start()
    }

    /// Runs `job` on the thread and returns its result once it is done (the caller's thread waits).
    func run<T: Sendable>(_ job: @escaping @Sendable () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<T?>(nil)
        jobs.withLock {
            $0.append {
                let value = job()
                result.withLock { $0 = value }
                done.signal()
            }
        }
        ready.signal()
        done.wait()
        // `done` is signalled only after the result is set.
        guard let value = result.withLock({ $0 }) else { preconditionFailure("a job ended without its result") }
        return value
    }

    private func serve() {
        // Linux applies PRIO_PROCESS with 0 to the calling thread alone (the kernel's `current`). It
        // fails only where lowering is refused; the work then runs at the usual priority.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        while true {
            ready.wait()
            let job = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            job?()
        }
    }
}

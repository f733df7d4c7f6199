import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Process {
    /// Waits for the process to end without keeping a core busy.
    ///
    /// Foundation's `waitUntilExit` runs the calling thread's run loop in 50 ms slices, and a run loop
    /// without sources (that of any thread but the main one) returns at once: the wait is a busy loop.
    /// On this two-core machine a few tests waiting so for their children starved those very children,
    /// and with them the whole test process, for most of a minute (a `perf record -e
    /// sched:sched_switch` of the stalled run showed the waiting threads running, in `waitUntilExit`).
    public func waitForExit() {
        while isRunning { usleep(2_000) }
    }
}

import Dispatch
import Synchronization

/// A value computed on another thread while the caller does something else; `wait()` returns it.
///
/// For two independent pieces of blocking work in a row (reading and parsing two files) on a machine
/// with a core to spare.
final class BackgroundResult<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let group = DispatchGroup()

    /// Starts `work` on a serial queue of its own.
    ///
    /// Serial queues are overcommit queues in Linux's libdispatch, so the work gets a thread of its
    /// own. Not a global queue: its threads are as many as the cores and Swift's tasks and timers run
    /// on them; a big folder's cache read waits there for its second half (`SideBySide`), and several
    /// folders opened at once held them all.
    init(_ work: @escaping @Sendable () -> Value) {
        group.enter()
        DispatchQueue(label: "correo.mailstore.background", qos: .userInitiated).async { [self] in
            let computed = work()
            value.withLock { $0 = computed }
            group.leave()
        }
    }

    /// The value, once `work` has returned it.
    func wait() -> Value {
        group.wait()
        guard let computed = value.withLock({ $0 }) else {
            preconditionFailure("set before leave(), so present after wait()")
        }
        return computed
    }
}

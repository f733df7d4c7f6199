import Dispatch
import Synchronization

/// A value computed on another thread while the caller does something else; `wait()` returns it.
///
/// For two independent pieces of blocking work in a row (reading and parsing two files) on a machine
/// with a core to spare.
final class BackgroundResult<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let group = DispatchGroup()

    init(_ work: @escaping @Sendable () -> Value) {
        group.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
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

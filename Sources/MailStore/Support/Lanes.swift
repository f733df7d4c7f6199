import Dispatch
import Synchronization

/// Serial queues of one pool, and work cut in parts run on them side by side: the first part on the
/// calling thread, which would otherwise only wait, the others on the lanes.
///
/// Serial queues are overcommit queues in Linux's libdispatch: each busy lane gets a thread of its own.
/// Not a concurrent queue nor `concurrentPerform`: those run on Dispatch's global threads, as many as
/// the cores, and a caller waiting there for a part queued there could leave no thread to run it. Each
/// pool keeps lanes of its own (`SideBySide`'s CPU parts, `ParallelRead`'s files, `ParallelSync`'s
/// fsyncs), so that one kind of work never queues behind another. A part must not start parts on its
/// own pool: it would wait for a lane that may be its own.
struct Lanes: Sendable {
    private let queues: [DispatchQueue]

    /// `count` lanes named `label.0`, `label.1`, ….
    init(label: String, count: Int) {
        queues = (0..<count).map { DispatchQueue(label: "\(label).\($0)", qos: .userInitiated) }
    }

    var count: Int { queues.count }

    /// Runs `work` on lane `turn` (modulo the lanes), without waiting for it.
    func submit(_ turn: Int, _ work: @escaping @Sendable () -> Void) {
        queues[turn % queues.count].async(execute: work)
    }

    /// `work(part)` for each part in `0..<parts`, results in part order.
    func parts<R: Sendable>(_ parts: Int, _ work: @escaping @Sendable (Int) -> R) -> [R] {
        guard parts > 1 else { return parts == 1 ? [work(0)] : [] }
        let results = Slots<R>(count: parts)
        let group = DispatchGroup()
        for part in 1..<parts {
            queues[(part - 1) % queues.count].async(group: group) {
                let value = work(part)
                results.values.withLock { $0[part] = value }
            }
        }
        let first = work(0)
        results.values.withLock { $0[0] = first }
        group.wait()
        // Every part has set its slot once the group is done.
        return results.values.withLock { $0.compactMap { $0 } }
    }

    /// The results, shared by reference with the lanes: a `Mutex` cannot be captured by an escaping closure.
    private final class Slots<R: Sendable>: Sendable {
        let values: Mutex<[R?]>
        init(count: Int) { values = Mutex([R?](repeating: nil, count: count)) }
    }
}

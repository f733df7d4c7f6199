import Dispatch
import Synchronization

/// CPU work cut in a few parts run side by side (the calling thread runs the first part itself), for
/// the few steps a client waits on that parse a whole folder's index: opening a big folder after a
/// restart.
///
/// Its lanes are serial queues of its own, like `ParallelRead`'s: a part never waits behind a
/// delivery's fsync, nor a group commit behind a part. Not a concurrent queue nor `concurrentPerform`:
/// those run on Dispatch's global threads, as many as the cores, and a caller waiting there (the cache
/// is read on one) for a part queued there could leave no thread to run the part. Serial queues are
/// overcommit queues in Linux's libdispatch: each busy lane gets a thread of its own.
enum SideBySide {
    private static let lanes = (0..<MailStoreDefaults.sideBySideLanes).map {
        DispatchQueue(label: "correo.mailstore.side-by-side.\($0)", qos: .userInitiated)
    }

    /// `work(part)` for each part in `0..<parts`, results in part order.
    static func map<R: Sendable>(parts: Int, _ work: @escaping @Sendable (Int) -> R) -> [R] {
        guard parts > 1 else { return parts == 1 ? [work(0)] : [] }
        let results = Slots<R>(count: parts)
        let group = DispatchGroup()
        for part in 1..<parts {
            lanes[(part - 1) % lanes.count].async(group: group) {
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

    /// The results, shared by reference with the parts: a `Mutex` cannot be captured by an escaping closure.
    private final class Slots<R: Sendable>: Sendable {
        let values: Mutex<[R?]>
        init(count: Int) { values = Mutex([R?](repeating: nil, count: count)) }
    }
}

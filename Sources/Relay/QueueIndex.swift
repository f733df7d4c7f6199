import Foundation
import HeapModule

/// What the runner knows of the queue between two reads of its folder.
///
/// That is which messages wait and when each is due, ordered by that time. Picking the next due message is then
/// a look at the top of a heap, not a read of every envelope on disk — the difference between one delivery slot
/// refilled at once and a queue of 10,000 messages listed after every delivery.
///
/// Entries are never updated in the heap: a newer time for the same id is pushed again, and an entry
/// whose time no longer matches `due` is dropped when it reaches the top.
struct QueueIndex {
    private struct Entry: Comparable {
        var due: Date
        var id: String
        static func < (lhs: Entry, rhs: Entry) -> Bool { (lhs.due, lhs.id) < (rhs.due, rhs.id) }
    }

    private var due: [String: Date] = [:]
    private var heap = Heap<Entry>()

    /// Messages waiting (held and running ones are not in the index).
    var count: Int { due.count }

    /// Records that `id` is due at `time`, or, with nil, that it no longer waits (delivered, held, gone).
    mutating func set(_ id: String, dueAt time: Date?) {
        guard let time else {
            due[id] = nil
            return
        }
        guard due[id] != time else { return }
        due[id] = time
        heap.insert(Entry(due: time, id: id))
    }

    /// Replaces everything with what the queue folder holds now.
    mutating func replaceAll(with waiting: [(id: String, due: Date)]) {
        due = Dictionary(waiting.map { ($0.id, $0.due) }, uniquingKeysWith: { first, _ in first })
        heap = Heap(due.map { Entry(due: $0.value, id: $0.key) })
    }

    /// Takes up to `limit` messages due by `now`, earliest first; they leave the index (the runner puts
    /// them back with their next time once their attempt is recorded).
    mutating func takeDue(now: Date, limit: Int) -> [String] {
        var taken: [String] = []
        while taken.count < limit, let top = heap.min, top.due <= now {
            heap.removeMin()
            guard due[top.id] == top.due else { continue }  // stale: re-timed or removed since
            due[top.id] = nil
            taken.append(top.id)
        }
        return taken
    }

    /// When the earliest waiting message is due.
    mutating func nextDue() -> Date? {
        while let top = heap.min {
            if due[top.id] == top.due { return top.due }
            heap.removeMin()
        }
        return nil
    }
}

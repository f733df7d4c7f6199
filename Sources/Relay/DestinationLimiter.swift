/// At most N connections to one destination domain at once (`RelaySettings.connectionsPerDestination`):
/// a big batch for one domain must not open a hundred sessions to its MX, which receivers answer with
/// 421 "too many connections" — Postfix's default_destination_concurrency_limit is the same idea.
actor DestinationLimiter {
    private let limit: Int
    private var active: [String: Int] = [:]
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    init(limit: Int) { self.limit = max(1, limit) }

    /// Waits until `destination` has a free slot, and takes it.
    func acquire(_ destination: String) async {
        if active[destination, default: 0] < limit {
            active[destination, default: 0] += 1
            return
        }
        await withCheckedContinuation { waiting[destination, default: []].append($0) }
    }

    /// Gives the slot back; the next waiter for the same destination takes it over.
    func release(_ destination: String) {
        if var queue = waiting[destination], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[destination] = queue.isEmpty ? nil : queue
            next.resume()  // the slot passes on: `active` stays as it is
            return
        }
        let count = active[destination, default: 1] - 1
        active[destination] = count > 0 ? count : nil
    }

    /// Slots in use for `destination` (for tests and the log).
    func inUse(_ destination: String) -> Int { active[destination, default: 0] }
}

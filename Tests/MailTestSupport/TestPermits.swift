/// At most `limit` holders at once, the others waiting their turn in order: a bound on how many heavy
/// fixtures (a PostgreSQL cluster each) a parallel test run starts at the same moment.
///
/// Without it every PostgreSQL-backed test ran `initdb` and started a server in the first seconds of
/// `swift test`, and on two cores that storm kept other tests' servers from answering within their
/// clients' timeouts.
public actor TestPermits {
    private let limit: Int
    private var holders = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Permits for `limit` holders at once.
    public init(limit: Int) {
        self.limit = limit
    }

    /// Takes a permit, waiting for one if all are held; each `acquire` needs one `release`.
    public func acquire() async {
        if holders < limit {
            holders += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Gives a permit back; it passes straight to the next in line, if any.
    public func release() {
        if waiting.isEmpty {
            holders -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

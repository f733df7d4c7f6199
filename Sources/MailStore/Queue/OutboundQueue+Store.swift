import Foundation

/// STORAGE/queue/ as every backend's outbound queue. One storage folder has one queue runner, so a
/// claim is always granted: the flock(2) of `update` is what keeps `correo queue` and the runner apart.
extension OutboundQueue: OutboundQueueStore {
    /// `list()`.
    public func envelopes() throws -> [QueueEnvelope] {
        try list()
    }

    /// The read-modify-write of `update(_:removeWhenFinished:_:)`, with what `body` returned.
    public func update<Result: Sendable>(
        _ id: String,
        removeWhenFinished: Bool,
        _ body: @Sendable (inout QueueEnvelope) -> Result
    ) throws -> (envelope: QueueEnvelope, result: Result)? {
        var result: Result?
        let updated = try update(id, removeWhenFinished: removeWhenFinished) { envelope in
            result = body(&envelope)
        }
        guard let updated, let result else { return nil }
        return (updated, result)
    }

    /// Always granted: the storage folder's one runner is the only worker.
    public func claim(_ id: String, worker: String, until: Date) -> Bool {
        true
    }

    /// Nothing to give up (see `claim`).
    public func release(_ id: String, worker: String) {}

    /// Files in tmp/ and messages without an envelope, older than an hour.
    public func sweep() {
        sweep(olderThan: 3600)
    }
}

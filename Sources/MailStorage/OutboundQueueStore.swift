import Foundation

/// The outbound queue, whichever backend keeps it: the Maildir store's STORAGE/queue/ (one node) or the
/// PostgreSQL store's `queue_entries` (every node of a cluster works the same queue).
///
/// A message is queued once `enqueue` returns: its bytes and envelope are durable (the SMTP `250`
/// follows). The bytes never change; the envelope records each attempt. Several workers may look at
/// the queue at once (the server's runner, `correo queue`, other nodes): `update` reads the envelope
/// again under the backend's lock, and an attempt begins with `claim`, which at most one worker holds.
public protocol OutboundQueueStore: Sendable {
    /// Queues `bytes` (CRLF, dot-unstuffed) under `envelope` durably; the envelope as queued (its size
    /// filled in).
    func enqueue(bytes: [UInt8], envelope: QueueEnvelope) async throws -> QueueEnvelope
    /// Every queued message's envelope, oldest first.
    func envelopes() async throws -> [QueueEnvelope]
    /// The envelope of message `id`, or nil when it is not (or no longer) queued.
    func envelope(_ id: String) async throws -> QueueEnvelope?
    /// Message `id`'s bytes.
    func message(_ id: String) async throws -> [UInt8]
    /// Changes message `id`'s envelope under the backend's lock, after reading it again (a `correo queue
    /// hold` made meanwhile is kept), and returns it with what `body` returned; nil when the message is
    /// gone. When nothing is left pending and `removeWhenFinished`, the message leaves the queue.
    func update<Result: Sendable>(
        _ id: String,
        removeWhenFinished: Bool,
        _ body: @Sendable (inout QueueEnvelope) -> Result
    ) async throws -> (envelope: QueueEnvelope, result: Result)?
    /// Takes message `id` out of the queue (`correo queue delete`, or nothing left to do).
    func remove(_ id: String) async throws
    /// Claims message `id` for one attempt by `worker` until `until`; false when another worker's claim
    /// has not run out (another node is delivering it). A worker that dies leaves a claim that runs out.
    func claim(_ id: String, worker: String, until: Date) async throws -> Bool
    /// Gives up `worker`'s claim on `id` (its attempt is recorded).
    func release(_ id: String, worker: String) async throws
    /// Removes what a crash left half-written.
    func sweep() async
}

extension OutboundQueueStore {
    /// `update` for a change that returns nothing.
    @discardableResult
    public func update(
        _ id: String,
        removeWhenFinished: Bool = true,
        _ body: @Sendable (inout QueueEnvelope) -> Void
    ) async throws -> QueueEnvelope? {
        try await update(id, removeWhenFinished: removeWhenFinished) { envelope -> Bool in
            body(&envelope)
            return true
        }?.envelope
    }
}

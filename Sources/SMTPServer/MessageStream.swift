import Foundation
import NIOCore
import Synchronization

/// Writes one message into the store off the event loop, in the order the handler hands out its pieces.
///
/// The handler's calls only queue a piece. One task at a time drains the queue, so writes never overtake
/// each other; it starts when the message ends or `drainStartBytes` wait, so a small message (most are)
/// costs one task that begins, writes and delivers it, instead of a wake-up of a waiting task per piece
/// and a hop back to the event loop for each write.
final class MessageStream: Sendable {
    enum Piece: Sendable {
        case data(ByteBuffer)
        case deliver([String], SMTPEnvelope?, SMTPMessageOrigin)
        case abort
    }

    /// Bytes that start the draining before the message ends, so a large one streams to the disk.
    static let drainStartBytes = 64 * 1024

    private struct Queue {
        var pieces: [Piece] = []
        var draining = false
        /// Bytes handed over and not written yet (queued or being written).
        var unwritten = 0
        /// Set when the handler stopped reading for `unwritten`: the drain then calls `resume` once below.
        var readerHeld = false
    }

    private let queue = Mutex(Queue())
    private let consumer: Consumer
    private let unwrittenLimit: Int
    private let resume: @Sendable () -> Void
    private let executor: (any TaskExecutor)?

    /// - Parameters:
    ///   - unwrittenLimit: bytes handed over and not yet written beyond which `acceptsMore` says no.
    ///   - resume: called (on any thread) once the bytes waiting fall back to `unwrittenLimit` after
    ///     `acceptsMore` said no.
    ///   - executor: where the drain runs (the connection's event loop: the store's answer then comes
    ///     back to the thread that writes the reply, with no hop through Swift's cooperative pool).
    ///     Its code never blocks: the store sends writes and syncs to threads of their own.
    ///   - finished: called once with the outcome of `deliver`.
    init(
        target: any SMTPDeliveryTarget,
        unwrittenLimit: Int,
        executor: (any TaskExecutor)? = nil,
        resume: @escaping @Sendable () -> Void,
        finished: @escaping @Sendable (SMTPStoreOutcome) -> Void
    ) {
        consumer = Consumer(target: target, finished: finished)
        self.unwrittenLimit = unwrittenLimit
        self.resume = resume
        self.executor = executor
    }

    func write(_ bytes: ByteBuffer) {
        let size = bytes.readableBytes
        // Past the limit the handler stops reading, so the drain must have begun by then.
        enqueue(.data(bytes), size: size) { $0.unwritten >= min(Self.drainStartBytes, unwrittenLimit) }
    }

    func deliver(to mailboxes: [String], envelope: SMTPEnvelope? = nil, origin: SMTPMessageOrigin) {
        enqueue(.deliver(mailboxes, envelope, origin), size: 0) { _ in true }
    }

    /// Throws the message away: what no drain has taken yet is dropped unwritten (a message never begun
    /// in the store leaves nothing to discard).
    func abort() {
        queue.withLock { queue in
            for case .data(let bytes) in queue.pieces { queue.unwritten -= bytes.readableBytes }
            queue.pieces.removeAll()
        }
        enqueue(.abort, size: 0) { _ in true }
    }

    /// Whether the handler may read more of the message: false while more than `unwrittenLimit` bytes
    /// wait for the disk, and `resume` is then called once they no longer do.
    func acceptsMore() -> Bool {
        queue.withLock { queue in
            guard queue.unwritten > unwrittenLimit else { return true }
            queue.readerHeld = true
            return false
        }
    }

    private func enqueue(_ piece: Piece, size: Int, startsDraining: (Queue) -> Bool) {
        let start = queue.withLock { queue -> Bool in
            queue.pieces.append(piece)
            queue.unwritten += size
            guard !queue.draining, startsDraining(queue) else { return false }
            queue.draining = true
            return true
        }
        if start { Task(executorPreference: executor) { await self.drain() } }
    }

    /// Takes pieces until none is left, then lets the next `enqueue` that needs it start another drain.
    private func drain() async {
        while true {
            let batch = queue.withLock { queue -> [Piece] in
                defer { queue.pieces = [] }
                if queue.pieces.isEmpty { queue.draining = false }
                return queue.pieces
            }
            if batch.isEmpty { return }
            for piece in batch {
                await consumer.take(piece)
                guard case .data(let bytes) = piece else { continue }
                let wake = queue.withLock { queue -> Bool in
                    queue.unwritten -= bytes.readableBytes
                    guard queue.readerHeld, queue.unwritten <= unwrittenLimit else { return false }
                    queue.readerHeld = false
                    return true
                }
                if wake { resume() }
            }
        }
    }

    /// The drain's side: the message in the store and what went wrong.
    ///
    /// Only one drain runs at a time (the queue's `draining`), and each begins after the last has ended.
    private final class Consumer: @unchecked Sendable {
        let target: any SMTPDeliveryTarget
        let finished: @Sendable (SMTPStoreOutcome) -> Void
        var began = false
        var message: (any SMTPIncomingMessage)?
        var failure: (any Error)?

        init(target: any SMTPDeliveryTarget, finished: @escaping @Sendable (SMTPStoreOutcome) -> Void) {
            self.target = target
            self.finished = finished
        }

        func take(_ piece: Piece) async {
            switch piece {
            case .data(let bytes):
                await begin()
                guard failure == nil, let message else { return }
                do { try await message.write(bytes) } catch { failure = error }
            case .deliver(let mailboxes, let envelope, let origin):
                await begin()
                if failure == nil, let message {
                    do {
                        if let envelope {
                            finished(.queued(id: try await message.queue(envelope, origin: origin)))
                        } else {
                            try await message.deliver(to: mailboxes, origin: origin)
                            finished(.delivered)
                        }
                        return
                    } catch {
                        failure = error
                    }
                }
                await message?.discard()
                finished(MessageStream.outcome(failure))
            case .abort:
                // The connection went away mid-message, or the transaction was cut off.
                await message?.discard()
            }
        }

        /// Opens the message in the store the first time something is to be written or delivered.
        private func begin() async {
            guard !began else { return }
            began = true
            do { message = try await target.beginMessage() } catch { failure = error }
        }
    }

    static func outcome(_ error: (any Error)?) -> SMTPStoreOutcome {
        if case .refused(let reason)? = error as? SMTPDeliveryError { return .refused(reason) }
        if let error = error as? SMTPDeliveryError, error == .insufficientStorage { return .insufficientStorage }
        if let error = error as? CocoaError, let posix = error.underlying as? POSIXError, posix.code == .ENOSPC {
            return .insufficientStorage
        }
        if let error = error as? POSIXError, error.code == .ENOSPC { return .insufficientStorage }
        return .temporaryFailure
    }
}

extension CocoaError {
    fileprivate var underlying: (any Error)? { userInfo[NSUnderlyingErrorKey] as? any Error }
}

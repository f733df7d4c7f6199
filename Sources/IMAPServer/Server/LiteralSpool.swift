import Dispatch
import Logging
import NIOCore
import Synchronization

/// The large APPEND literals of one connection on their way to disk.
///
/// Each chunk the framer streams is written to its file in order, off the event loop, and the APPEND that owns it waits
/// for the writes before it runs. Loop-bound, like the handler that owns it.
final class LiteralSpool {
    private let executor: any IMAPCommandExecuting
    private let logger: Logger
    private var literals: [UInt32: LiteralFile] = [:]
    private let queue = DispatchQueue(label: "correo.imap.literal")
    /// Octets handed to the file queue and not yet written: when the disk is slower than the network,
    /// the handler stops reading (`CommandPacing`) instead of the chunks piling up in memory.
    private(set) var unwrittenBytes = 0
    /// Called on the event loop each time some octets reach the disk.
    var written: () -> Void = {}

    init(executor: any IMAPCommandExecuting, logger: Logger) {
        self.executor = executor
        self.logger = logger
    }

    /// Writes a chunk of a large APPEND literal to its file, in order, off the event loop.
    func write(_ id: UInt32, _ chunk: [UInt8], loop: any EventLoop) {
        if literals[id] == nil {
            do {
                literals[id] = LiteralFile(literal: try executor.makeStreamedLiteral())
            } catch {
                logger.warning("cannot store APPEND literal", metadata: ["error": "\(error)"])
                literals[id] = LiteralFile(literal: nil)
            }
        }
        guard let file = literals[id], let literal = file.literal else { return }
        unwrittenBytes += chunk.count
        let bound = NIOLoopBound(self, eventLoop: loop)
        queue.async {
            if !file.failed.withLock({ $0 }) {
                do {
                    try literal.write(chunk)
                } catch {
                    file.failed.withLock { $0 = true }
                }
            }
            loop.execute {
                let spool = bound.value
                spool.unwrittenBytes -= chunk.count
                spool.written()
            }
        }
    }

    /// Waits for the queued writes of literal `id` and hands it to its APPEND.
    ///
    /// The complete literal for an APPEND about to run, once its queued writes are done; nil when a
    /// write failed (the APPEND gets NO). Older literals belonged to refused commands and are dropped.
    func take(_ id: UInt32, loop: any EventLoop) -> EventLoopFuture<StreamedLiteralReference?> {
        for stale in literals.keys where stale < id { literals.removeValue(forKey: stale)?.abandon(on: queue) }
        let file = literals.removeValue(forKey: id)
        let promise = loop.makePromise(of: StreamedLiteralReference?.self)
        queue.async {
            if let file, let stored = file.literal, !file.failed.withLock({ $0 }) {
                promise.succeed(StreamedLiteralReference(stored))
            } else {
                file?.literal?.abandon()
                promise.succeed(nil)
            }
        }
        return promise.futureResult
    }

    /// The connection is gone: every literal not yet taken is deleted.
    func abandonAll() {
        for file in literals.values { file.abandon(on: queue) }
        literals.removeAll()
    }
}

/// A streamed literal's file and whether a write to it failed.
private final class LiteralFile: Sendable {
    let literal: (any StreamedLiteral)?
    let failed = Mutex(false)
    init(literal: (any StreamedLiteral)?) { self.literal = literal }

    func abandon(on queue: DispatchQueue) {
        guard let literal else { return }
        queue.async { literal.abandon() }
    }
}

import Foundation
import NIOCore

/// Writes one message into the store off the event loop, in the order the handler hands out its pieces.
///
/// The handler yields synchronously; a single task consumes, so writes never overtake each other.
final class MessageStream: Sendable {
    enum Piece: Sendable {
        case data(ByteBuffer)
        case deliver([String], SMTPEnvelope?, SMTPMessageOrigin)
        case abort
    }

    private let continuation: AsyncStream<Piece>.Continuation

    /// - Parameters:
    ///   - written: called (on any thread) after each data piece is written or skipped, with its size.
    ///   - finished: called once with the outcome of `deliver`.
    init(
        target: any SMTPDeliveryTarget,
        written: @escaping @Sendable (Int) -> Void,
        finished: @escaping @Sendable (SMTPStoreOutcome) -> Void
    ) {
        let (stream, continuation) = AsyncStream<Piece>.makeStream()
        self.continuation = continuation
        Task {
            var message: (any SMTPIncomingMessage)?
            var failure: (any Error)?
            do {
                message = try await target.beginMessage()
            } catch {
                failure = error
            }
            for await piece in stream {
                switch piece {
                case .data(let bytes):
                    if failure == nil, let message {
                        do { try await message.write(bytes) } catch { failure = error }
                    }
                    written(bytes.readableBytes)
                case .deliver(let mailboxes, let envelope, let origin):
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
                    finished(Self.outcome(failure))
                    return
                case .abort:
                    await message?.discard()
                    return
                }
            }
            // The connection went away mid-message.
            await message?.discard()
        }
    }

    func write(_ bytes: ByteBuffer) { continuation.yield(.data(bytes)) }

    func deliver(to mailboxes: [String], envelope: SMTPEnvelope? = nil, origin: SMTPMessageOrigin) {
        continuation.yield(.deliver(mailboxes, envelope, origin))
        continuation.finish()
    }

    func abort() {
        continuation.yield(.abort)
        continuation.finish()
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

import NIOCore

/// One session in IDLE (RFC 2177): its view of the selected mailbox, lent by its executor for as long as
/// it idles, and the channel its untagged updates go to.
///
/// Touched only on the channel's event loop, where `IdleFanOut` brings it up to date: a delivery costs
/// each idling client one comparison with the mailbox's state read once for all of them, and one write.
final class IdleSubscriber: @unchecked Sendable {
    /// The client's channel; its event loop owns this subscriber's state.
    let channel: any Channel
    /// Whether updates carry MODSEQ (CONDSTORE enabled when IDLE started).
    private let condStore: Bool
    private var view: SelectedMailboxView
    /// The look's token the view fully reflects (nil: compare in full next time).
    private var syncedToken: UInt64?
    private var finished = false

    /// A subscriber starting from the session's view as its executor left it.
    init(channel: any Channel, view: SelectedMailboxView, syncedToken: UInt64?, condStore: Bool) {
        self.channel = channel
        self.view = view
        self.syncedToken = syncedToken
        self.condStore = condStore
    }

    /// What one look at the mailbox found, shared by every subscriber it is applied to.
    struct Snapshot: Sendable {
        /// The look's token.
        var token: UInt64
        /// The messages, as views compare them.
        var messages: [SelectedMailboxView.Message]
    }

    /// Applies `snapshot` to each subscriber of `batch` (all on this event loop) and writes what changed.
    ///
    /// The UIDs claimed as `\Recent` go to the first subscriber still idling, as the first session to look
    /// claims them outside IDLE. Sessions told the same thing (most of them, after a delivery) share one
    /// encoded buffer.
    static func apply(_ snapshot: Snapshot, recent: Set<UInt32>, to batch: [IdleSubscriber]) {
        var recent = recent
        var last: (responses: [IMAPResponse], buffer: ByteBuffer)?
        for subscriber in batch {
            guard let responses = subscriber.update(to: snapshot, newlyRecent: recent) else { continue }
            recent = []
            guard !responses.isEmpty else { continue }
            if last?.responses != responses {
                var buffer = subscriber.channel.allocator.buffer(capacity: 64)
                buffer.writeBytes(IMAPResponseEncoder.encode(responses))
                last = (responses, buffer)
            }
            if let buffer = last?.buffer { subscriber.channel.writeAndFlush(buffer, promise: nil) }
        }
    }

    /// Brings the view up to `snapshot` and returns what to tell the client; nil if IDLE has already ended.
    private func update(to snapshot: Snapshot, newlyRecent: Set<UInt32>) -> [IMAPResponse]? {
        channel.eventLoop.assertInEventLoop()
        guard !finished else { return nil }
        // As `MailboxHandle.look`: nothing changed since the view was synced, nothing to claim.
        if newlyRecent.isEmpty, syncedToken == snapshot.token { return [] }
        let responses = view.update(
            to: snapshot.messages,
            newlyRecent: newlyRecent,
            allowExpunge: true,
            includeModSeq: condStore
        )
        syncedToken = view.count == snapshot.messages.count ? snapshot.token : nil
        return responses
    }

    /// Ends IDLE: no update is written after this; returns the view for the executor to take back.
    func finish() -> (view: SelectedMailboxView, syncedToken: UInt64?) {
        channel.eventLoop.assertInEventLoop()
        finished = true
        return (view, syncedToken)
    }
}

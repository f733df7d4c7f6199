import MailStore
import NIOCore

extension MailStoreExecutor {
    // RFC 2177 IDLE: the session's view goes to the server's `IdleFanOut`, which reports each change of the
    // mailbox at once on the client's event loop; DONE (cancellation) takes the view back.
    func idle(sink: ResponseSink) async {
        guard let current = selected, let channel = sink.channel else {
            await Self.waitUntilCancelled()
            return
        }
        // A look at the disk first, as NOOP does; what it finds reaches the client through the fan-out.
        try? await current.mailbox.refresh()
        let subscriber = IdleSubscriber(
            channel: channel,
            view: current.view,
            syncedToken: current.syncedToken,
            condStore: condStore
        )
        idleFanOut.subscribe(subscriber, to: current.mailbox)
        await Self.waitUntilCancelled()
        idleFanOut.unsubscribe(subscriber, from: current.mailbox)
        // On the event loop, after any update already queued there: nothing is written after this.
        guard let state = try? await channel.eventLoop.submit({ subscriber.finish() }).get(),
            selected?.mailbox.identity == current.mailbox.identity
        else { return }
        selected?.view = state.view
        selected?.syncedToken = state.syncedToken
    }

    private static func waitUntilCancelled() async {
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }
}

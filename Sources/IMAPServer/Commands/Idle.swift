import MailStore
import NIOCore

extension MailStoreExecutor {
    /// RFC 2177 IDLE: the session's view goes to the server's `IdleFanOut`, which reports each change of the
    /// mailbox at once on the client's event loop, until `endIdle` (DONE) takes the view back.
    ///
    /// Nothing waits in between: an idling session holds no task and no timer, only its subscriber
    /// (a task asleep until DONE cost each of 10,000 idling clients about 3 KB).
    func beginIdle(sink: ResponseSink) async {
        guard idleSubscription == nil, let current = selected, let channel = sink.channel else { return }
        // A look at the disk first, as NOOP does; what it finds reaches the client through the fan-out.
        try? await current.mailbox.refresh()
        let subscriber = IdleSubscriber(
            channel: channel,
            view: current.view,
            syncedToken: current.syncedToken,
            condStore: condStore
        )
        idleFanOut.subscribe(subscriber, to: current.mailbox)
        idleSubscription = IdleSubscription(subscriber: subscriber, mailbox: current.mailbox)
    }

    /// Ends the IDLE that `beginIdle` began (nothing when none did), and takes its view back.
    func endIdle() async {
        guard let idle = idleSubscription else { return }
        idleSubscription = nil
        idleFanOut.unsubscribe(idle.subscriber, from: idle.mailbox)
        let subscriber = idle.subscriber
        // On the event loop, after any update already queued there: nothing is written after this.
        guard let state = try? await subscriber.channel.eventLoop.submit({ subscriber.finish() }).get(),
            selected?.mailbox.identity == idle.mailbox.identity
        else { return }
        selected?.view = state.view
        selected?.syncedToken = state.syncedToken
    }
}

/// The subscriber of the IDLE under way, and the mailbox it is subscribed to.
struct IdleSubscription {
    let subscriber: IdleSubscriber
    let mailbox: any MailboxHandle
}

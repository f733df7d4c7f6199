import CoreMetrics
import Logging
import NIOCore

// What the handler reads off the session's actions and the framer's events, the metric it times
// commands with, how a command is started and logged: small pieces kept beside the handler so that
// its file stays about the flow.

extension IMAPChannelHandler {
    /// `correo_imap_command_duration_seconds{command}`: from the command's start to its tagged
    /// response, store work and the client's reading included.
    static func commandTimer(_ name: String) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: "correo_imap_command_duration_seconds", dimensions: [("command", name.uppercased())])
    }

    /// Starts `request` on `executor` from this thread, the connection's loop: the command runs here
    /// until it first waits (a NOOP, or any command that finds nothing changed, never does), instead of
    /// waking a pool thread to begin it and the loop again to answer.
    static func start(
        _ request: ExecutionRequest,
        on executor: any IMAPCommandExecuting,
        sink: ResponseSink,
        loop: any EventLoop
    ) -> EventLoopFuture<CommandOutcome> {
        let outcome = loop.makePromise(of: CommandOutcome.self)
        Task.immediate { await executor.execute(request, sink: sink, answer: outcome) }
        return outcome.futureResult
    }

    /// Ends the IDLE that `started` begins, once it has begun (DONE, or a connection that went away);
    /// nothing when no IDLE was started.
    static func endIdle(_ started: EventLoopFuture<Void>?, on executor: any IMAPCommandExecuting) async {
        guard let started else { return }
        try? await started.get()
        await executor.endIdle()
    }

    /// Logs the command name only: arguments may hold passwords (LOGIN) or message bodies (APPEND).
    static func logCommand(_ bytes: [UInt8], to logger: Logger) {
        guard logger.logLevel <= .debug else { return }
        let words = bytes.prefix(64).split(separator: .space, maxSplits: 3)
        let name = words.count > 1 ? String(decoding: words[1].prefix(16), as: UTF8.self) : "?"
        logger.debug("command", metadata: ["name": "\(name.uppercased())"])
    }
}

extension Duration {
    var nanoseconds: Double {
        Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9
    }
}

extension IMAPSession.Action {
    /// Whether this action tells the shared throttle a login's verdict.
    var reportsToAuthThrottle: Bool {
        switch self {
        case .recordAuthenticationSuccess, .recordAuthenticationFailure: true
        default: false
        }
    }
}

extension IMAPFramer.Event {
    /// Whether this event costs a rate-limit token: a command line or one the framer refused.
    ///
    /// So a flood of junk is slowed like a flood of NOOPs. Literal chunks belong to a command already counted.
    var isCommand: Bool {
        switch self {
        case .command, .error: true
        default: false
        }
    }
}

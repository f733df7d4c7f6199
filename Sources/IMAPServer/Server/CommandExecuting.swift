import NIOCore

/// Where untagged responses of a running command go; the handler writes them with backpressure,
/// so a FETCH of a large mailbox never sits in memory as a whole.
public struct ResponseSink: Sendable {
    private let write: @Sendable ([IMAPResponse]) async -> Void
    /// The client's channel, when the sink writes to one: IDLE's updates are written on its event loop
    /// (`IdleFanOut`) rather than through `send`.
    let channel: (any Channel)?

    /// A sink that hands responses to `write`.
    public init(_ write: @escaping @Sendable ([IMAPResponse]) async -> Void) {
        self.write = write
        channel = nil
    }

    /// A sink that writes to `channel` through `write`.
    init(channel: any Channel, _ write: @escaping @Sendable ([IMAPResponse]) async -> Void) {
        self.write = write
        self.channel = channel
    }

    /// Sends `responses` (nothing when empty) and returns once they are written.
    public func send(_ responses: [IMAPResponse]) async {
        guard !responses.isEmpty else { return }
        await write(responses)
    }
}

/// A large APPEND literal written to a file as its bytes arrive (never held in memory as a whole).
///
/// `write` is called in order, off the event loop.
public protocol StreamedLiteral: AnyObject, Sendable {
    func write(_ bytes: [UInt8]) throws
    /// Drops the file: the command that announced the literal was refused.
    func abandon()
}

/// A streamed literal handed to the executor with the APPEND that announced it; compares by identity.
public struct StreamedLiteralReference: Sendable, Equatable {
    /// The literal's file.
    public let literal: any StreamedLiteral
    /// A reference to `literal`.
    public init(_ literal: any StreamedLiteral) { self.literal = literal }
    /// Whether both refer to the same literal.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.literal === rhs.literal }
}

/// The asynchronous layer above the session state machine.
///
/// Runs mailbox commands against the store and checks credentials. One instance per connection; calls never overlap
/// (the session sends one command at a time); an IDLE is `beginIdle`, then `endIdle` at DONE.
public protocol IMAPCommandExecuting: Sendable {
    /// Whether the password is the user's; throws when the users' store could not be asked (a database
    /// that is down), which the client hears as `[UNAVAILABLE]`, not as a wrong password.
    func verify(username: String, password: String) async throws -> Bool
    /// Runs a command, sending untagged responses to `sink` as they are ready; returns the rest.
    func execute(_ request: ExecutionRequest, sink: ResponseSink) async -> CommandOutcome
    /// `execute`, fulfilling `answer` with the outcome where the command ran (an executor isolated to
    /// the connection's loop thus answers from there, and the calling task ends with nothing to resume).
    func execute(_ request: ExecutionRequest, sink: ResponseSink, answer: EventLoopPromise<CommandOutcome>) async
    /// Starts sending untagged updates of the selected mailbox to `sink` as it changes (RFC 2177), and
    /// returns once they flow: nothing of the executor waits while the client idles.
    func beginIdle(sink: ResponseSink) async
    /// Stops the updates that `beginIdle` started (called once it has returned), before the next command.
    func endIdle() async
    /// A new file for a large APPEND literal.
    func makeStreamedLiteral() throws -> any StreamedLiteral
    /// The connection is gone: release the selected mailbox.
    func close() async
}

extension IMAPCommandExecuting {
    /// Runs the command, then fulfils `answer`.
    public func execute(_ request: ExecutionRequest, sink: ResponseSink, answer: EventLoopPromise<CommandOutcome>) async
    {
        answer.succeed(await execute(request, sink: sink))
    }
}

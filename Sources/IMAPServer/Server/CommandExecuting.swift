/// Where untagged responses of a running command go; the handler writes them with backpressure,
/// so a FETCH of a large mailbox never sits in memory as a whole.
public struct ResponseSink: Sendable {
    private let write: @Sendable ([IMAPResponse]) async -> Void

    public init(_ write: @escaping @Sendable ([IMAPResponse]) async -> Void) { self.write = write }

    public func send(_ responses: [IMAPResponse]) async {
        guard !responses.isEmpty else { return }
        await write(responses)
    }
}

/// The asynchronous layer above the session state machine: runs mailbox commands against the store
/// and checks credentials. One instance per connection; calls never overlap (the session sends one
/// command at a time), except `idle`, which runs until its task is cancelled.
public protocol IMAPCommandExecuting: Sendable {
    func verify(username: String, password: String) async -> Bool
    /// Runs a command, sending untagged responses to `sink` as they are ready; returns the rest.
    func execute(_ request: ExecutionRequest, sink: ResponseSink) async -> CommandOutcome
    /// Sends untagged updates of the selected mailbox as it changes, until cancelled (RFC 2177).
    func idle(sink: ResponseSink) async
    /// The connection is gone: release the selected mailbox.
    func close() async
}

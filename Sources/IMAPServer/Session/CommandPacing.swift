/// How fast one connection's input is taken.
///
/// The command rate (`CommandRateLimiter` with `IMAPDefaults.commandBurst` and `commandsPerSecond`), back-pressure on
/// the socket, and the flood that ends in `* BYE Too many commands`. A value with no clock of its own: the caller
/// passes the time (monotonic nanoseconds) and does what the returned actions say.
///
/// Back-pressure is the one answer to both a client pipelining faster than commands complete and one
/// over the command rate: the caller stops reading the socket while a command waits for a rate-limit
/// token, more than `maxPendingEvents` are queued, or more than `IMAPDefaults.unwrittenAppendBytes`
/// of streamed APPEND literals wait for the disk; it reads again once the token is back and both have
/// half drained. Slowing reads rather than answering NO/BAD means a fast client is never failed: TCP
/// flow control makes it wait, and its commands run in order at the sustained rate. Only input already
/// read in one burst can pile up behind the limit; past `IMAPDefaults.maxQueuedCommands` of that, the
/// client is flooding and gets `* BYE`.
public struct CommandPacing: Sendable, Equatable {
    /// Whether the next command may run now.
    public enum TokenAction: Sendable, Equatable {
        /// A token was taken: run the command.
        case proceed
        /// An earlier command already waits for a token: keep this one queued.
        case hold
        /// No token: keep the command queued, and call `tokenReturned()` after this many nanoseconds.
        case holdUntilTokenReturns(nanoseconds: UInt64)
    }

    /// What the caller does with the socket after a change in its backlog.
    public enum ReadingAction: Sendable, Equatable {
        /// Leave reading as it is.
        case none
        /// Stop reading the socket (autoRead off).
        case stopReading
        /// Read the socket again (autoRead on, and one read now).
        case resumeReading
    }

    /// What the caller does after a read burst has been queued.
    public enum FloodAction: Sendable, Equatable {
        /// Keep the connection.
        case none
        /// Drop the queued input, send this untagged BYE and close the connection.
        case bye(IMAPResponse)
    }

    /// Framed commands waiting while an earlier one runs, before the caller stops reading the socket.
    public static let maxPendingEvents = 64
    /// The answer to a command flood (RFC 3501 §7.1.5: the server is closing the connection).
    public static let tooManyCommands = IMAPResponse.untagged(.condition(.bye, nil, "Too many commands"))

    /// The token bucket of this connection.
    public private(set) var limiter: CommandRateLimiter
    /// A command waits for a rate-limit token.
    public private(set) var isThrottled = false
    /// Whether the caller reads the socket.
    public private(set) var isReading = true
    /// Queued input, past which a throttled client is flooding.
    public let maxQueuedCommands: Int
    /// Octets of streamed APPEND literals not yet written, past which reading stops.
    public let maxUnwrittenLiteralBytes: Int

    /// Pacing with the given bucket and limits; by default those of `IMAPDefaults`.
    public init(
        limiter: CommandRateLimiter,
        maxQueuedCommands: Int = IMAPDefaults.maxQueuedCommands,
        maxUnwrittenLiteralBytes: Int = IMAPDefaults.unwrittenAppendBytes
    ) {
        self.limiter = limiter
        self.maxQueuedCommands = maxQueuedCommands
        self.maxUnwrittenLiteralBytes = maxUnwrittenLiteralBytes
    }

    /// The pacing of `IMAPDefaults`, with a full bucket at `now`.
    public static func imapDefault(now: UInt64) -> CommandPacing {
        CommandPacing(limiter: .imapDefault(now: now))
    }

    /// Takes a rate-limit token for the next command (a command line or one the framer refused).
    public mutating func takeCommandToken(now: UInt64) -> TokenAction {
        guard !isThrottled else { return .hold }
        guard case .wait(let nanoseconds) = limiter.take(now: now) else { return .proceed }
        isThrottled = true
        return .holdUntilTokenReturns(nanoseconds: nanoseconds)
    }

    /// The wait announced by `.holdUntilTokenReturns` is over: the next command may take a token.
    public mutating func tokenReturned() {
        isThrottled = false
    }

    /// A read burst has been framed and run as far as the rate allows; `queued` events are left.
    public func readBurstQueued(_ queued: Int) -> FloodAction {
        isThrottled && queued > maxQueuedCommands ? .bye(Self.tooManyCommands) : .none
    }

    /// Whether to stop or resume reading, given what is queued.
    ///
    /// `pendingEvents` framed and not yet run, `unwrittenLiteralBytes` of streamed literals not yet on disk. Resumes
    /// only at half of each limit, so reading is not switched on and off for every command.
    public mutating func backlogChanged(pendingEvents: Int, unwrittenLiteralBytes: Int) -> ReadingAction {
        let behind =
            isThrottled || pendingEvents > Self.maxPendingEvents || unwrittenLiteralBytes > maxUnwrittenLiteralBytes
        if isReading, behind {
            isReading = false
            return .stopReading
        }
        if !isReading, !isThrottled, pendingEvents <= Self.maxPendingEvents / 2,
            unwrittenLiteralBytes <= maxUnwrittenLiteralBytes / 2
        {
            isReading = true
            return .resumeReading
        }
        return .none
    }
}

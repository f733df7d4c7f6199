import Dispatch

/// The monotonic time, in nanoseconds, that a session's connection policy runs on.
public struct IMAPClock: Sendable {
    /// Reads the time now.
    public let now: @Sendable () -> UInt64

    /// A clock reading `now`.
    public init(now: @escaping @Sendable () -> UInt64) {
        self.now = now
    }

    /// The process's monotonic uptime.
    ///
    /// The channel handler replaces it with its event loop's clock; this one serves sessions made without a handler (tests, the fuzz harness, which has no NIO).
    public static let system = IMAPClock { DispatchTime.now().uptimeNanoseconds }
}

/// The connection's policy decided by the session: autologout (RFC 3501 §5.4, `AutologoutTimer`), the
/// command rate with back-pressure and the flood cut-off (`CommandPacing`), all on the injected clock.
/// The answers — the BYEs — come out as actions like every other response.
extension IMAPSession {
    /// The connection opened: the greeting (RFC 3501 §7.1.1), and the login deadline starts.
    public mutating func connectionOpened() -> [Action] {
        [.send([greeting])] + noteActivity()
    }

    /// A whole command or part of a literal arrived: it counts as activity for the autologout.
    public mutating func noteActivity() -> [Action] {
        autologoutActions(autologout.activity(now: clock.now(), authenticated: state != .notAuthenticated))
    }

    /// The timer armed by `Action.armAutologout` ran out: re-armed for what is left, or the autologout.
    public mutating func autologoutTimerFired() -> [Action] {
        autologoutActions(autologout.timerFired(now: clock.now(), authenticated: state != .notAuthenticated))
    }

    /// Takes a rate-limit token for the next command (a command line or one the framer refused).
    public mutating func takeCommandToken() -> CommandPacing.TokenAction {
        pacing.takeCommandToken(now: clock.now())
    }

    /// The wait announced by `.holdUntilTokenReturns` is over: the next command may take a token.
    public mutating func commandTokenReturned() {
        pacing.tokenReturned()
    }

    /// Whether to stop or resume reading the socket, given the backlog (see `CommandPacing`).
    public mutating func backlogChanged(pendingEvents: Int, unwrittenLiteralBytes: Int) -> CommandPacing.ReadingAction {
        pacing.backlogChanged(pendingEvents: pendingEvents, unwrittenLiteralBytes: unwrittenLiteralBytes)
    }

    /// A read burst ran as far as the rate allows with `queued` events left: a throttled client with
    /// more than `IMAPDefaults.maxQueuedCommands` queued is flooding and gets `* BYE Too many commands`.
    public mutating func readBurstQueued(_ queued: Int) -> [Action] {
        guard case .bye(let bye) = pacing.readBurstQueued(queued) else { return [] }
        return loggedOut(with: bye)
    }

    /// Starts the session's clock over (the handler's event loop, known once the handler is added),
    /// with a full command bucket.
    public mutating func useClock(_ clock: IMAPClock) {
        self.clock = clock
        pacing = .imapDefault(now: clock.now())
    }

    mutating func autologoutActions(_ action: AutologoutTimer.Action) -> [Action] {
        switch action {
        case .none: []
        case .arm(let deadline): [.armAutologout(deadline: deadline)]
        case .logout(let bye): loggedOut(with: bye)
        }
    }
}

extension Duration {
    /// Whole milliseconds, for `IMAPSession.Action.pause`.
    var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(clamping: seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

/// The RFC 3501 §5.4 autologout rules of one connection, as a value with no clock of its own.
///
/// The caller passes the time (monotonic nanoseconds, e.g. `NIODeadline.uptimeNanoseconds`) and keeps one timer at the
/// deadline this value asks for, so tests move time by hand.
///
/// - In the not authenticated state the timeout is a deadline from the connection's start: a client
///   that never logs in cannot stay by sending NOOPs.
/// - Once authenticated, the connection may be silent for `idleTimeout` (RFC 3501 §5.4: at least 30
///   minutes; an IDLE client re-issues IDLE before then, RFC 2177); each command restarts it.
///
/// Activity only notes the time and never moves the timer: cancelling a scheduled task costs NIO a
/// search through every timer of the event loop, which with thousands of connections made each read
/// O(connections). The one timer, when it fires, asks again and is re-armed for what is left.
public struct AutologoutTimer: Sendable, Equatable {
    /// What the caller does with its timer and the connection.
    public enum Action: Sendable, Equatable {
        /// Nothing to change.
        case none
        /// Arm the one timer for this uptime, in nanoseconds, and call `timerFired(now:authenticated:)` then.
        case arm(deadline: UInt64)
        /// Send this untagged BYE and close the connection.
        case logout(IMAPResponse)
    }

    /// The answer when the timer runs out (RFC 3501 §7.1.5: BYE on autologout).
    public static let bye = IMAPResponse.untagged(.condition(.bye, nil, "Autologout; idle for too long"))

    /// Nanoseconds from the connection's start to the autologout while not authenticated.
    public let loginTimeout: UInt64
    /// Nanoseconds of silence allowed once authenticated.
    public let idleTimeout: UInt64
    /// When the client last did something that counts (the connection's start before login).
    public private(set) var lastActivity: UInt64 = 0
    /// Whether the caller's timer is armed.
    public private(set) var isArmed = false

    /// The rules with these timeouts, in seconds; the clock starts at the first `activity(now:authenticated:)`.
    public init(loginTimeoutSeconds: Int, idleTimeoutSeconds: Int) {
        self.loginTimeout = UInt64(max(0, loginTimeoutSeconds)) * 1_000_000_000
        self.idleTimeout = UInt64(max(0, idleTimeoutSeconds)) * 1_000_000_000
    }

    /// The connection opened, a command (or part of a literal) arrived, or a login succeeded.
    public mutating func activity(now: UInt64, authenticated: Bool) -> Action {
        // Before login the first deadline stands; a successful login (authenticated) moves it on.
        if !authenticated, isArmed { return .none }
        lastActivity = now
        guard !isArmed else { return .none }
        isArmed = true
        return .arm(deadline: now + timeout(authenticated: authenticated))
    }

    /// The timer armed by an earlier `.arm` ran out at `now`.
    public mutating func timerFired(now: UInt64, authenticated: Bool) -> Action {
        isArmed = false
        let deadline = lastActivity + timeout(authenticated: authenticated)
        guard deadline <= now else {
            isArmed = true
            return .arm(deadline: deadline)
        }
        return .logout(Self.bye)
    }

    private func timeout(authenticated: Bool) -> UInt64 {
        authenticated ? idleTimeout : loginTimeout
    }
}

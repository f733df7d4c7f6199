import MailTestSupport
import Testing

@testable import IMAPServer

/// One second, in the policies' nanoseconds.
private let second: UInt64 = 1_000_000_000
private let login = UInt64(IMAPDefaults.unauthenticatedTimeoutSeconds) * second
private let idle = UInt64(IMAPDefaults.idleTimeoutSeconds) * second

/// A fresh timer with `IMAPDefaults`' timeouts, armed by a connection opened at `start`.
private func openedTimer(at start: UInt64) -> AutologoutTimer {
    var timer = AutologoutTimer(
        loginTimeoutSeconds: IMAPDefaults.unauthenticatedTimeoutSeconds,
        idleTimeoutSeconds: IMAPDefaults.idleTimeoutSeconds
    )
    #expect(timer.activity(now: start, authenticated: false) == .arm(deadline: start + login))
    return timer
}

/// RFC 3501 §5.4 autologout on virtual time: the rules of `AutologoutTimer`, without a channel.
@Suite(.offThePool) struct AutologoutTimerTests {
    /// The login deadline, and the idle timeout, fire at exactly N and re-arm at N-1 (a fire that
    /// comes early, or after activity, only re-arms).
    @Test(arguments: [
        // (authenticated, silence in ns, expected)
        (false, login - 1, AutologoutTimer.Action.arm(deadline: 7 + login)),
        (false, login, AutologoutTimer.Action.logout(AutologoutTimer.bye)),
        (true, idle - 1, AutologoutTimer.Action.arm(deadline: 7 + idle)),
        (true, idle, AutologoutTimer.Action.logout(AutologoutTimer.bye)),
    ])
    func timeoutFiresAtNNotBefore(authenticated: Bool, silence: UInt64, expected: AutologoutTimer.Action) {
        var timer = AutologoutTimer(
            loginTimeoutSeconds: IMAPDefaults.unauthenticatedTimeoutSeconds,
            idleTimeoutSeconds: IMAPDefaults.idleTimeoutSeconds
        )
        _ = timer.activity(now: 7, authenticated: authenticated)
        #expect(timer.timerFired(now: 7 + silence, authenticated: authenticated) == expected)
    }

    @Test func commandsBeforeLoginDoNotMoveTheLoginDeadline() {
        var timer = openedTimer(at: 0)
        for t in [second, login / 2, login - 1] {
            #expect(timer.activity(now: t, authenticated: false) == .none)
        }
        #expect(timer.timerFired(now: login, authenticated: false) == .logout(AutologoutTimer.bye))
    }

    @Test func aLoginReplacesTheLoginDeadlineWithTheIdleTimeout() {
        var timer = openedTimer(at: 0)
        // The login succeeds 59 s in; the timer armed at the connection's start fires at 60 s.
        #expect(timer.activity(now: login - second, authenticated: true) == .none)
        #expect(timer.timerFired(now: login, authenticated: true) == .arm(deadline: login - second + idle))
        #expect(
            timer.timerFired(now: login - second + idle - 1, authenticated: true)
                == .arm(deadline: login - second + idle)
        )
        #expect(timer.timerFired(now: login - second + idle, authenticated: true) == .logout(AutologoutTimer.bye))
    }

    @Test func eachCommandAfterLoginRestartsTheIdleTimeout() {
        var timer = AutologoutTimer(loginTimeoutSeconds: 60, idleTimeoutSeconds: 1800)
        #expect(timer.activity(now: 0, authenticated: true) == .arm(deadline: 1800 * second))
        #expect(timer.activity(now: 1000 * second, authenticated: true) == .none)
        #expect(timer.timerFired(now: 1800 * second, authenticated: true) == .arm(deadline: 2800 * second))
        #expect(timer.timerFired(now: 2800 * second, authenticated: true) == .logout(AutologoutTimer.bye))
    }

    @Test func theByeIsRFC3501sUntaggedBye() {
        #expect(
            IMAPResponseEncoder.encode([AutologoutTimer.bye]) == Array("* BYE Autologout; idle for too long\r\n".utf8)
        )
    }
}

/// The command rate and the flood, at N and N+1, without a channel.
@Suite(.offThePool) struct CommandPacingTests {
    /// A burst of N runs; command N+1 waits one token interval; later ones wait behind it.
    @Test(arguments: [
        (IMAPDefaults.commandBurst, CommandPacing.TokenAction.proceed),
        (
            IMAPDefaults.commandBurst + 1,
            CommandPacing.TokenAction.holdUntilTokenReturns(
                nanoseconds: second / UInt64(IMAPDefaults.commandsPerSecond)
            )
        ),
        (IMAPDefaults.commandBurst + 2, CommandPacing.TokenAction.hold),
    ])
    func theNthCommandOfABurst(n: Int, expected: CommandPacing.TokenAction) {
        var pacing = CommandPacing.imapDefault(now: 5)
        for _ in 1..<n { _ = pacing.takeCommandToken(now: 5) }
        #expect(pacing.takeCommandToken(now: 5) == expected)
    }

    @Test func aReturnedTokenRunsTheWaitingCommand() {
        var pacing = CommandPacing(limiter: CommandRateLimiter(burst: 1, commandsPerSecond: 10, now: 0))
        #expect(pacing.takeCommandToken(now: 0) == .proceed)
        #expect(pacing.takeCommandToken(now: 0) == .holdUntilTokenReturns(nanoseconds: second / 10))
        #expect(pacing.isThrottled)
        pacing.tokenReturned()
        #expect(pacing.takeCommandToken(now: second / 10) == .proceed)
        #expect(!pacing.isThrottled)
    }

    /// Up to `maxQueuedCommands` queued behind the rate limit are kept; one more is a flood.
    @Test(arguments: [
        (true, IMAPDefaults.maxQueuedCommands, CommandPacing.FloodAction.none),
        (true, IMAPDefaults.maxQueuedCommands + 1, CommandPacing.FloodAction.bye(CommandPacing.tooManyCommands)),
        (false, IMAPDefaults.maxQueuedCommands + 1, CommandPacing.FloodAction.none),
    ])
    func floodAtNPlusOne(throttled: Bool, queued: Int, expected: CommandPacing.FloodAction) {
        var pacing = CommandPacing(limiter: CommandRateLimiter(burst: 1, commandsPerSecond: 1, now: 0))
        _ = pacing.takeCommandToken(now: 0)
        if throttled { _ = pacing.takeCommandToken(now: 0) }
        #expect(pacing.readBurstQueued(queued) == expected)
    }

    @Test func theFloodByeIsTooManyCommands() {
        #expect(
            IMAPResponseEncoder.encode([CommandPacing.tooManyCommands]) == Array("* BYE Too many commands\r\n".utf8)
        )
    }

    /// Reading stops past N pending events or N unwritten literal octets, not at N.
    @Test(arguments: [
        (CommandPacing.maxPendingEvents, 0, CommandPacing.ReadingAction.none),
        (CommandPacing.maxPendingEvents + 1, 0, CommandPacing.ReadingAction.stopReading),
        (0, IMAPDefaults.unwrittenAppendBytes, CommandPacing.ReadingAction.none),
        (0, IMAPDefaults.unwrittenAppendBytes + 1, CommandPacing.ReadingAction.stopReading),
    ])
    func readingStopsPastTheBacklog(pending: Int, unwritten: Int, expected: CommandPacing.ReadingAction) {
        var pacing = CommandPacing.imapDefault(now: 0)
        #expect(pacing.backlogChanged(pendingEvents: pending, unwrittenLiteralBytes: unwritten) == expected)
    }

    /// Once stopped, reading resumes only when each backlog is down to half its limit.
    @Test(arguments: [
        (CommandPacing.maxPendingEvents / 2 + 1, 0, CommandPacing.ReadingAction.none),
        (CommandPacing.maxPendingEvents / 2, 0, CommandPacing.ReadingAction.resumeReading),
        (0, IMAPDefaults.unwrittenAppendBytes / 2 + 1, CommandPacing.ReadingAction.none),
        (0, IMAPDefaults.unwrittenAppendBytes / 2, CommandPacing.ReadingAction.resumeReading),
    ])
    func readingResumesAtHalf(pending: Int, unwritten: Int, expected: CommandPacing.ReadingAction) {
        var pacing = CommandPacing.imapDefault(now: 0)
        #expect(
            pacing.backlogChanged(pendingEvents: CommandPacing.maxPendingEvents + 1, unwrittenLiteralBytes: 0)
                == .stopReading
        )
        #expect(pacing.backlogChanged(pendingEvents: pending, unwrittenLiteralBytes: unwritten) == expected)
    }

    @Test func aThrottledConnectionStopsReadingUntilTheTokenReturns() {
        var pacing = CommandPacing(limiter: CommandRateLimiter(burst: 1, commandsPerSecond: 10, now: 0))
        _ = pacing.takeCommandToken(now: 0)
        _ = pacing.takeCommandToken(now: 0)
        #expect(pacing.backlogChanged(pendingEvents: 1, unwrittenLiteralBytes: 0) == .stopReading)
        #expect(pacing.backlogChanged(pendingEvents: 0, unwrittenLiteralBytes: 0) == .none)
        pacing.tokenReturned()
        #expect(pacing.backlogChanged(pendingEvents: 0, unwrittenLiteralBytes: 0) == .resumeReading)
    }
}

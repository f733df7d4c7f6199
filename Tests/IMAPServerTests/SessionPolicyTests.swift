import MailTestSupport
import Synchronization
import Testing

@testable import IMAPServer

/// A clock the test moves by hand.
private final class VirtualClock: Sendable {
    private let time = Mutex<UInt64>(0)
    var now: UInt64 { time.withLock { $0 } }
    func advance(to instant: UInt64) { time.withLock { $0 = instant } }
    var imapClock: IMAPClock { IMAPClock { self.now } }
}

private let second: UInt64 = 1_000_000_000
private let bye = IMAPResponse.untagged(.condition(.bye, nil, "Autologout; idle for too long"))

private func makeSession(_ clock: VirtualClock, login: Int = 60, idle: Int = 1800) -> IMAPSession {
    IMAPSession(
        configuration: .init(isTLS: true, failedLoginDelayMilliseconds: 100),
        autologout: AutologoutTimer(loginTimeoutSeconds: login, idleTimeoutSeconds: idle),
        clock: clock.imapClock
    )
}

/// A session whose server shares a failed-login throttle between sessions.
private func makeThrottledSession(_ clock: VirtualClock) -> IMAPSession {
    var configuration = IMAPSessionConfiguration(isTLS: true, failedLoginDelayMilliseconds: 100)
    configuration.sharesAuthThrottle = true
    return IMAPSession(configuration: configuration, clock: clock.imapClock)
}

private func line(_ text: String) -> IMAPFramer.Event { .command(Array(text.utf8)) }

/// The connection's policy decided by the session value on virtual time: the handler only runs the
/// actions (greeting, timer, BYE, close).
@Suite(.offThePool) struct IMAPSessionPolicyTests {
    @Test func theGreetingArmsTheLoginDeadline() {
        let clock = VirtualClock()
        clock.advance(to: 5 * second)
        var session = makeSession(clock)
        let actions = session.connectionOpened()
        #expect(actions == [.send([session.greeting]), .armAutologout(deadline: 65 * second)])
    }

    /// RFC 3501 §5.4 before login: a deadline from the connection's start, which commands do not move.
    @Test func theLoginDeadlineEndsTheSessionWithBye() {
        let clock = VirtualClock()
        var session = makeSession(clock)
        _ = session.connectionOpened()
        clock.advance(to: 30 * second)
        #expect(session.noteActivity() == [])
        clock.advance(to: 60 * second - 1)
        #expect(session.autologoutTimerFired() == [.armAutologout(deadline: 60 * second)])
        clock.advance(to: 60 * second)
        #expect(session.autologoutTimerFired() == [.send([bye]), .close])
        #expect(session.state == .logout)
        #expect(session.received(line("a NOOP")) == [])
    }

    /// After a login the idle autologout applies, counted from the last command.
    @Test func aLoginSwitchesToTheIdleAutologout() {
        let clock = VirtualClock()
        var session = makeSession(clock)
        _ = session.connectionOpened()
        _ = session.received(line("a LOGIN bob pw"))
        clock.advance(to: 50 * second)
        #expect(session.credentialsVerified(true).count == 1)
        clock.advance(to: 60 * second)
        #expect(session.autologoutTimerFired() == [.armAutologout(deadline: 1850 * second)])
        clock.advance(to: 1000 * second)
        #expect(session.noteActivity() == [])
        clock.advance(to: 1850 * second)
        #expect(session.autologoutTimerFired() == [.armAutologout(deadline: 2800 * second)])
        clock.advance(to: 2800 * second)
        #expect(session.autologoutTimerFired() == [.send([bye]), .close])
    }

    /// A blocked address gets the throttle's BYE without its password checked; nothing queued runs.
    @Test func aBlockedAddressGetsByeWithoutAPasswordCheck() {
        var session = makeThrottledSession(VirtualClock())
        #expect(session.received(line("a LOGIN bob pw")) == [.checkAuthThrottle(username: "bob")])
        #expect(session.received(line("b NOOP")) == [])
        #expect(
            session.authThrottleChecked(allowed: false) == [
                .send([.untagged(.condition(.bye, nil, "Too many failed logins; try later"))]), .close,
            ]
        )
        #expect(session.state == .logout)
        #expect(session.credentialsVerified(true) == [])
        #expect(session.authThrottleChecked(allowed: true) == [])
    }

    /// AUTHENTICATE PLAIN asks the throttle too, before the password is checked.
    @Test func authenticatePlainAsksTheThrottleFirst() {
        var session = makeThrottledSession(VirtualClock())
        // "\0bob\0pw"
        #expect(session.received(line("a AUTHENTICATE PLAIN AGJvYgBwdw==")) == [.checkAuthThrottle(username: "bob")])
        #expect(session.authThrottleChecked(allowed: true) == [.verifyCredentials(username: "bob", password: "pw")])
    }

    /// An allowed address has its password checked; a success is reported before the OK.
    @Test func aSuccessIsReportedToTheThrottle() {
        var session = makeThrottledSession(VirtualClock())
        _ = session.received(line("a LOGIN bob pw"))
        #expect(session.authThrottleChecked(allowed: true) == [.verifyCredentials(username: "bob", password: "pw")])
        let actions = session.credentialsVerified(true)
        #expect(actions.first == .recordAuthenticationSuccess)
        #expect(actions.count == 2)
        #expect(session.state == .authenticated(user: "bob"))
    }

    /// A failure is reported to the throttle first; its back-off adds to the session's own growing pause
    /// before the NO, and commands queued meanwhile run after it.
    @Test func aFailureIsReportedAndAnsweredAfterThePause() {
        var session = makeThrottledSession(VirtualClock())
        let no = IMAPResponse.no("a", .authenticationFailed, "Authentication failed")
        for (round, pause) in [(1, 2600), (2, 2700)] {
            _ = session.received(line("a LOGIN bob bad"))
            #expect(
                session.authThrottleChecked(allowed: true) == [.verifyCredentials(username: "bob", password: "bad")]
            )
            #expect(session.credentialsVerified(false) == [.recordAuthenticationFailure])
            #expect(session.received(line("b NOOP")) == [])
            #expect(session.failedLogins == round - 1)
            #expect(
                session.authenticationFailureRecorded(backOff: .milliseconds(2500)) == [
                    .pause(milliseconds: pause), .send([no]), .send([.ok("b", "NOOP completed")]),
                ]
            )
        }
        #expect(session.authenticationFailureRecorded(backOff: .zero) == [])
    }

    /// Without a shared throttle the session asks nothing of it and tells it nothing.
    @Test func withoutASharedThrottleNothingIsAskedOfIt() {
        var session = makeSession(VirtualClock())
        #expect(session.received(line("a LOGIN bob bad")) == [.verifyCredentials(username: "bob", password: "bad")])
        #expect(
            session.credentialsVerified(false) == [
                .pause(milliseconds: 100), .send([.no("a", .authenticationFailed, "Authentication failed")]),
            ]
        )
        _ = session.received(line("b LOGIN bob pw"))
        #expect(session.credentialsVerified(true).count == 1)
    }

    /// A throttled client with more than `maxQueuedCommands` queued gets `* BYE Too many commands`.
    @Test func aCommandFloodEndsTheSessionWithBye() {
        let clock = VirtualClock()
        var session = makeSession(clock)
        for _ in 0..<IMAPDefaults.commandBurst { #expect(session.takeCommandToken() == .proceed) }
        guard case .holdUntilTokenReturns = session.takeCommandToken() else {
            Issue.record("the command after the burst must wait for a token")
            return
        }
        #expect(session.readBurstQueued(IMAPDefaults.maxQueuedCommands) == [])
        #expect(
            session.readBurstQueued(IMAPDefaults.maxQueuedCommands + 1) == [
                .send([CommandPacing.tooManyCommands]), .close,
            ]
        )
        #expect(session.state == .logout)
    }

    /// The token bucket runs on the session's clock: a token returns after 1/rate seconds.
    @Test func theCommandRateRunsOnTheSessionsClock() {
        let clock = VirtualClock()
        var session = makeSession(clock)
        for _ in 0..<IMAPDefaults.commandBurst { _ = session.takeCommandToken() }
        #expect(
            session.takeCommandToken()
                == .holdUntilTokenReturns(nanoseconds: second / UInt64(IMAPDefaults.commandsPerSecond))
        )
        clock.advance(to: second / UInt64(IMAPDefaults.commandsPerSecond))
        session.commandTokenReturned()
        #expect(session.takeCommandToken() == .proceed)
    }
}

import Testing

@testable import IMAPServer

/// One second, in the limiter's nanoseconds.
private let second: UInt64 = 1_000_000_000

@Suite struct CommandRateLimiterTests {
    @Test func fullBurstAtOnceThenTheNextWaitsOneToken() {
        var limiter = CommandRateLimiter(burst: 3, commandsPerSecond: 10, now: 0)
        #expect((0..<3).map { _ in limiter.take(now: 0) } == [.proceed, .proceed, .proceed])
        #expect(limiter.take(now: 0) == .wait(nanoseconds: second / 10))
    }

    @Test func defaultBurstIsAcceptedAndOneMoreWaits() {
        var limiter = CommandRateLimiter.imapDefault(now: 7)
        let taken = (0..<IMAPDefaults.commandBurst).filter { _ in limiter.take(now: 7) == .proceed }
        #expect(taken.count == IMAPDefaults.commandBurst)
        #expect(limiter.take(now: 7) == .wait(nanoseconds: second / UInt64(IMAPDefaults.commandsPerSecond)))
    }

    @Test func aTokenComesBackAfterOneIntervalNotBefore() {
        var limiter = CommandRateLimiter(burst: 1, commandsPerSecond: 10, now: 0)
        #expect(limiter.take(now: 0) == .proceed)
        #expect(limiter.take(now: second / 10 - 1) == .wait(nanoseconds: 1))
        #expect(limiter.take(now: second / 10) == .proceed)
        #expect(limiter.take(now: second / 10) == .wait(nanoseconds: second / 10))
    }

    @Test func sustainedRateIsCommandsPerSecond() {
        var limiter = CommandRateLimiter(burst: 5, commandsPerSecond: 200, now: 0)
        var now: UInt64 = 0
        var accepted = 0
        while now <= 10 * second {
            switch limiter.take(now: now) {
            case .proceed: accepted += 1
            case .wait(let nanoseconds): now += nanoseconds
            }
        }
        // The burst, then one command every 5 ms for ten seconds (the one at exactly 10 s included).
        #expect(accepted == 5 + 2000)
    }

    @Test func idleTimeBuildsNoMoreThanOneBurstOfCredit() {
        var limiter = CommandRateLimiter(burst: 4, commandsPerSecond: 10, now: 0)
        #expect(limiter.take(now: 0) == .proceed)
        let later = 3600 * second
        #expect((0..<4).map { _ in limiter.take(now: later) } == Array(repeating: .proceed, count: 4))
        #expect(limiter.take(now: later) == .wait(nanoseconds: second / 10))
    }

    @Test func partialIntervalsAreNotLost() {
        var limiter = CommandRateLimiter(burst: 2, commandsPerSecond: 10, now: 0)
        #expect(limiter.take(now: 0) == .proceed)
        #expect(limiter.take(now: 0) == .proceed)
        // 150 ms earn one token; the spare 50 ms count towards the next, due at 200 ms.
        #expect(limiter.take(now: 150_000_000) == .proceed)
        #expect(limiter.take(now: 150_000_000) == .wait(nanoseconds: 50_000_000))
        #expect(limiter.take(now: 200_000_000) == .proceed)
    }
}

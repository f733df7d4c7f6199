import Foundation
import MailTestSupport
import Testing

@testable import Relay

@Suite(.offThePool) struct RetryScheduleTests {
    let schedule = RetrySchedule()

    @Test(arguments: [(1, 300.0), (2, 600), (3, 1200), (4, 2400), (5, 3600), (6, 3600), (40, 3600)])
    func backOffDoublesUpToTheMaximum(attempt: Int, delay: TimeInterval) {
        #expect(schedule.delay(afterAttempt: attempt) == delay)
    }

    @Test func expiryAndDelayWarningAtTheirLimits() {
        let arrival = Date(timeIntervalSince1970: 1_000_000)
        #expect(!schedule.hasExpired(arrival: arrival, now: arrival.addingTimeInterval(5 * 86400 - 1)))
        #expect(schedule.hasExpired(arrival: arrival, now: arrival.addingTimeInterval(5 * 86400)))
        #expect(!schedule.isDelayWarningDue(arrival: arrival, now: arrival.addingTimeInterval(4 * 3600 - 1)))
        #expect(schedule.isDelayWarningDue(arrival: arrival, now: arrival.addingTimeInterval(4 * 3600)))
        #expect(!RetrySchedule(delayWarning: nil).isDelayWarningDue(arrival: arrival, now: .distantFuture))
    }

    @Test func theLastRetryIsNeverAfterTheExpiry() {
        let arrival = Date(timeIntervalSince1970: 1_000_000)
        let now = arrival.addingTimeInterval(5 * 86400 - 60)
        #expect(
            schedule.nextAttempt(afterAttempt: 30, arrival: arrival, now: now) == arrival.addingTimeInterval(5 * 86400)
        )
        let early = arrival.addingTimeInterval(10)
        #expect(schedule.nextAttempt(afterAttempt: 1, arrival: arrival, now: early) == early.addingTimeInterval(300))
    }
}

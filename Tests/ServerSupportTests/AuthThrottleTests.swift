import Testing

@testable import ServerSupport

/// The failed-login throttle on virtual time: a fixed start instant plus offsets.
@Suite struct AuthThrottleTests {
    let start = ContinuousClock.now
    let policy = AuthThrottle.Policy(
        delayPerFailure: .seconds(1),
        maximumDelay: .seconds(3),
        failuresBeforeBlock: 4,
        forgetAfter: .seconds(60)
    )

    func throttle(
        failures: Int,
        from address: String = "192.0.2.1",
        maximumAddresses: Int = 10
    )
        -> AuthThrottle
    {
        var policy = self.policy
        policy.maximumAddresses = maximumAddresses
        let throttle = AuthThrottle(policy: policy)
        for _ in 0..<failures { throttle.failed(address: address, now: start) }
        return throttle
    }

    @Test func refusesOnlyFromTheBlockingFailureOn() {
        #expect(throttle(failures: 3).check(address: "192.0.2.1", now: start) == .allow)
        #expect(throttle(failures: 4).check(address: "192.0.2.1", now: start) == .refuse)
    }

    @Test func delaysGrowPerFailureUpToTheMaximum() {
        let throttle = AuthThrottle(policy: policy)
        let delays = (1...4).map { _ in throttle.failed(address: "192.0.2.1", now: start) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(3), .seconds(3)])
    }

    @Test func otherAddressesAreNotAffected() {
        #expect(throttle(failures: 4).check(address: "192.0.2.2", now: start) == .allow)
    }

    @Test func failuresAreForgottenAfterAQuietPeriod() {
        let blocked = throttle(failures: 4)
        #expect(blocked.check(address: "192.0.2.1", now: start + .seconds(59)) == .refuse)
        #expect(blocked.check(address: "192.0.2.1", now: start + .seconds(60)) == .allow)
        #expect(blocked.failed(address: "192.0.2.1", now: start + .seconds(60)) == .seconds(1))
    }

    @Test func successClearsTheAddress() {
        let throttle = throttle(failures: 3)
        throttle.succeeded(address: "192.0.2.1")
        #expect(throttle.failed(address: "192.0.2.1", now: start) == .seconds(1))
    }

    @Test func remembersAtMostTheMaximumNumberOfAddresses() {
        let throttle = throttle(failures: 4, maximumAddresses: 2)
        throttle.failed(address: "192.0.2.2", now: start)
        #expect(throttle.trackedAddresses == 2)
        throttle.failed(address: "192.0.2.3", now: start)
        #expect(throttle.trackedAddresses == 2)
        #expect(throttle.check(address: "192.0.2.1", now: start) == .refuse)
        // Once the others are forgotten, room is made for new addresses.
        throttle.failed(address: "192.0.2.3", now: start + .seconds(61))
        #expect(throttle.trackedAddresses == 1)
    }
}

import MailTestSupport
import Testing

@testable import Relay

@Suite(.offThePool) struct DestinationLimiterTests {
    @Test func theLimitHoldsPerDestinationAndASlotPassesToTheNextWaiter() async {
        let limiter = DestinationLimiter(limit: 2)
        await limiter.acquire("b.test")
        await limiter.acquire("b.test")
        await limiter.acquire("c.test")  // another destination is not held back
        #expect(await limiter.inUse("b.test") == 2)
        let third = Task { await limiter.acquire("b.test") }
        // The third waits: still two in use until one is released.
        for _ in 0..<50 { await Task.yield() }
        #expect(await limiter.inUse("b.test") == 2)
        await limiter.release("b.test")
        await third.value
        #expect(await limiter.inUse("b.test") == 2)
        await limiter.release("b.test")
        await limiter.release("b.test")
        #expect(await limiter.inUse("b.test") == 0)
        #expect(await limiter.inUse("c.test") == 1)
    }
}

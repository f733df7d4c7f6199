import Foundation
import MailTestSupport
import SMTPClient
import Testing

@testable import Relay

/// Sessions kept between messages to one next hop, against a real SMTP peer (aiosmtpd on 127.0.0.1).
@Suite(.offThePool) struct SessionCacheTests {
    @Test func aKeptSessionIsReusedUntilIdleOrWornOut() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try SMTPSink(outdir: directory.url)
            defer { sink.stop() }
            let key = SessionCache.Key(address: "127.0.0.1", port: sink.port, tls: .none, trust: .insecure, user: nil)
            let connect = { try await SMTPClient.connect(host: "127.0.0.1", port: sink.port, tls: .none) }

            // The test's own clock: a loaded machine once took longer than the idle limit between two
            // lines of this test, which then found its session expired.
            let clock = SteppedClock()
            let cache = SessionCache(idleLimit: .milliseconds(300), usesLimit: 2, now: { clock.now })
            #expect(await cache.take(key) == nil)
            let first = try await connect()
            await cache.put(key, first, uses: 1)
            let kept = try #require(await cache.take(key))
            #expect(kept.connection === first && kept.uses == 1)
            // Another key (another port) never gets it.
            await cache.put(key, first, uses: 1)
            var other = key
            other.port += 1
            #expect(await cache.take(other) == nil)
            // It still carries a message.
            let reused = try #require(await cache.take(key))
            _ = try await reused.connection.send(
                from: "a@a.test",
                recipients: ["b@b.test"],
                message: Array("Subject: x\r\n\r\nhi\r\n".utf8)
            )
            #expect(sink.messages(for: "b@b.test").count == 1)
            // Worn out: the second use is the last.
            await cache.put(key, reused.connection, uses: 2)
            #expect(await cache.count == 0)
            // Idle too long: closed at the next sweep.
            let second = try await connect()
            await cache.put(key, second, uses: 1)
            clock.advance(by: .milliseconds(400))
            await cache.sweep()
            #expect(await cache.count == 0)
            #expect(await cache.take(key) == nil)
        }
    }
}

/// A clock that moves only when told to.
private final class SteppedClock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant = ContinuousClock.now

    var now: ContinuousClock.Instant { lock.withLock { instant } }

    func advance(by duration: Duration) { lock.withLock { instant += duration } }
}

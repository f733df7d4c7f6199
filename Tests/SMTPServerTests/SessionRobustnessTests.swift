import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPServer

/// Random conversations: whatever the client sends, every message the session opens is delivered or
/// thrown away exactly once, and nothing is written to a message that is not open.
@Suite(.offThePool) struct SessionRobustnessTests {
    private struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    static let pieces = [
        "EHLO c\r\n", "HELO c\r\n", "MAIL FROM:<alice@example.test>\r\n", "MAIL FROM:<> SIZE=5000\r\n",
        "RCPT TO:<bob@example.test>\r\n", "RCPT TO:<x@elsewhere.test>\r\n", "DATA\r\n", "BDAT 7\r\n",
        "BDAT 3 LAST\r\n", "RSET\r\n", "NOOP\r\n", "STARTTLS\r\n", "AUTH PLAIN\r\n", "*\r\n",
        "AUTH LOGIN YWxpY2VAZXhhbXBsZS50ZXN0\r\n", "c2VjcmV0\r\n", ".\r\n", "..x\r\n", "text\r\n", "a\n.\n",
        String(repeating: "z", count: 1100) + "\r\n", "\r", "\n", "garbage\u{0}\u{FF}\r\n", "QUIT\r\n",
    ]

    @Test(arguments: 0..<40) func messagesAreNeverLeakedOrDoubled(seed: Int) {
        var random = Generator(state: UInt64(seed) &+ 1)
        var configuration = SessionHarness.configuration(allowPlaintextAuth: true, maximumErrors: 1000)
        // Half the seeds with a shared failed-login throttle, half without.
        configuration.sharesAuthThrottle = seed % 2 == 0
        var session = SMTPSession(
            configuration: configuration,
            connectionID: "r",
            clientAddress: "192.0.2.1",
            clock: { SessionHarness.now }
        )
        var open = false
        var violations: [String] = []
        var pending = session.received(.connected)
        for _ in 0..<300 {
            while !pending.isEmpty {
                let action = pending.removeFirst()
                switch action {
                case .beginMessage:
                    if open { violations.append("begin while open") }
                    open = true
                case .messageData:
                    if !open { violations.append("data while closed") }
                case .deliverMessage:
                    if !open { violations.append("deliver while closed") }
                    open = false
                    pending += session.received(.messageStored(random.next() % 4 == 0 ? .temporaryFailure : .delivered))
                case .abortMessage:
                    if !open { violations.append("abort while closed") }
                    open = false
                case .lookUpRecipient(let address):
                    pending += session.received(.recipientLookedUp(random.next() % 3 == 0 ? nil : address))
                case .checkAuthThrottle:
                    pending += session.received(
                        random.next() % 5 == 0 ? .authenticationThrottled : .authenticationAllowed
                    )
                case .authenticate:
                    pending += session.received(.authenticated(random.next() % 2 == 0))
                case .recordAuthenticationFailure:
                    pending += session.received(.authenticationFailureRecorded(backOff: .zero))
                case .recordAuthenticationSuccess:
                    break
                case .pause:
                    pending += session.received(.pauseElapsed)
                case .reply, .startTLS, .close:
                    break
                }
            }
            if session.isClosed { break }
            let piece = Self.pieces[Int(random.next() % UInt64(Self.pieces.count))]
            pending = session.received(.bytes(ByteBuffer(string: piece)))
        }
        if !session.isClosed { _ = session.received(.timedOut).map { if $0 == .abortMessage { open = false } } }
        #expect(violations.isEmpty)
        #expect(!open, "a message was left open when the session ended")
    }
}

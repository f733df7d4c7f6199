import MailTestSupport
import Testing

@testable import IMAPServer

/// A small deterministic generator so the inputs are the same on every run.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite(.offThePool) struct RobustnessTests {
    /// Garbage, truncated commands and hostile literals get BAD/NO answers, never a crash or a hang.
    @Test func randomInputNeverCrashes() {
        var random = SplitMix(state: 42)
        let fragments = [
            "a", " ", "LOGIN", "SELECT", "FETCH", "1:*", "(", ")", "[", "]", "{", "}", "{5}", "{3+}",
            "\"", "\\", "BODY[", "HEADER.FIELDS", "<0.1>", "UID", "SEARCH", "OR", "NOT", "*", "%", "&", "\r\n",
            "\u{e9}", "\0", "STORE", "+FLAGS", "APPEND", "INBOX", "{99999999999}", "{4294967295}", "-", ".",
        ]
        var session = IMAPSession(configuration: .init(allowPlaintextAuth: true))
        var framer = IMAPFramer(limits: .init(maxLineLength: 200, maxLiteralSize: 100, appendLimit: 1000))
        var answered = 0
        for _ in 0..<3000 {
            var text = "t\(random.next() % 100) "
            for _ in 0..<Int(random.next() % 12) { text += fragments[Int(random.next() % UInt64(fragments.count))] }
            text += "\r\n"
            for event in framer.feed(Array(text.utf8)) {
                for action in session.received(event) {
                    if case .send = action { answered += 1 }
                    if case .verifyCredentials = action { answered += session.credentialsVerified(false).count }
                }
            }
            if session.state == .logout { session = IMAPSession(configuration: .init(allowPlaintextAuth: true)) }
        }
        #expect(answered > 1000)
    }
}

import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPServer

/// Each limit at N (accepted) and N+1 (refused), with its reply.
@Suite(.offThePool) struct SessionLimitTests {
    /// RFC 5321 4.5.3.1.4: 512 octets with the CRLF.
    @Test func commandLineLength() {
        var harness = SessionHarness()
        let n = "NOOP " + String(repeating: "x", count: SMTPDefaults.commandLineLength - 7)
        #expect(harness.codes(n + "\r\n") == [250])
        #expect(harness.send(n + "x\r\n") == [SessionHarness.reply(500, (5, 5, 2), "Line too long")])
        #expect(harness.codes(String(repeating: "y", count: 5000) + "\r\nNOOP\r\n") == [500, 250])
    }

    /// RFC 5321 4.5.3.1.6: 1000 octets with the CRLF; a longer line is read to the end of DATA and refused.
    @Test func textLineLength() {
        var harness = SessionHarness(SessionHarness.configuration(maximumMessageSize: 100_000))
        harness.startTransaction()
        let n = String(repeating: "x", count: SMTPDefaults.textLineLength - 2)
        let accepted = harness.send("DATA\r\n" + n + "\r\n.\r\n")
        #expect(accepted.last == SessionHarness.delivery(["bob@example.test"]))
        harness.event(.messageStored(.delivered))
        harness.codes("MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n")
        let refused = harness.send("DATA\r\n" + n + "x\r\nmore\r\n.\r\n")
        #expect(
            refused.suffix(2) == [
                .abortMessage,
                SessionHarness.reply(500, (5, 5, 6), "Message refused: a line is longer than 1000 octets"),
            ]
        )
        #expect(!refused.contains { if case .deliverMessage = $0 { true } else { false } })
    }

    /// RFC 1870: SIZE at MAIL.
    @Test func declaredSize() {
        var harness = SessionHarness()
        #expect(harness.codes("EHLO c\r\nMAIL FROM:<> SIZE=1000\r\nRSET\r\n") == [250, 250, 250])
        #expect(
            harness.send("MAIL FROM:<> SIZE=1001\r\n") == [
                SessionHarness.reply(552, (5, 3, 4), "Message size exceeds fixed maximum message size")
            ]
        )
    }

    /// RFC 1870 6.3: the size during DATA (the message octets, without the added trace headers).
    @Test func sizeDuringData() {
        var harness = SessionHarness()
        harness.startTransaction()
        let n = String(repeating: "x", count: 998) + "\r\n"  // exactly 1000 octets
        #expect(harness.send("DATA\r\n" + n + ".\r\n").last == SessionHarness.delivery(["bob@example.test"]))
        harness.event(.messageStored(.delivered))
        harness.codes("MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n")
        let refused = harness.send("DATA\r\n" + n + "y\r\n.\r\nNOOP\r\n")
        #expect(SessionHarness.codes(refused) == [354, 552, 250])
        #expect(refused.contains(.abortMessage))
    }

    @Test func sizeInChunks() {
        var harness = SessionHarness()
        harness.startTransaction()
        #expect(
            harness.send("BDAT 1000 LAST\r\n" + String(repeating: "z", count: 1000)).last
                == SessionHarness.delivery(["bob@example.test"])
        )
        harness.event(.messageStored(.delivered))
        harness.codes("MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n")
        let refused = harness.send(
            "BDAT 600\r\n" + String(repeating: "z", count: 600) + "BDAT 401 LAST\r\n"
                + String(repeating: "z", count: 401) + "NOOP\r\n"
        )
        #expect(SessionHarness.codes(refused) == [250, 552, 250])
        #expect(refused.contains(.abortMessage))
    }

    /// RFC 5321 4.5.3.1.10: 452 past the recipient limit (3 in the test configuration).
    @Test func recipients() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\nMAIL FROM:<>\r\n")
        #expect(
            harness.codes("RCPT TO:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\n") == [
                250, 250, 250,
            ]
        )
        #expect(
            harness.send("RCPT TO:<d@example.test>\r\n") == [
                SessionHarness.reply(452, (4, 5, 3), "Too many recipients")
            ]
        )
    }

    /// N-1 errors are answered; the Nth is answered and the session closes with 421.
    @Test func errorsPerSession() {
        var harness = SessionHarness(SessionHarness.configuration(maximumErrors: 3))
        #expect(harness.codes("FOO\r\nBAR\r\n") == [500, 500])
        let actions = harness.send("BAZ\r\nNOOP\r\n")
        #expect(
            actions == [
                SessionHarness.reply(500, (5, 5, 2), "Command unrecognized"),
                SessionHarness.reply(421, (4, 7, 0), "Too many errors; closing connection"), .close,
            ]
        )
        #expect(harness.send("NOOP\r\n") == [])
    }

    /// RFC 4954 4: a SASL response line of 12,288 octets (with the CRLF) is read; one more is refused.
    @Test func authResponseLength() {
        var harness = SessionHarness(isTLS: true)
        harness.codes("EHLO c\r\n")
        harness.send("AUTH PLAIN\r\n")
        let n = String(repeating: "A", count: SMTPDefaults.authLineLength - 2)
        #expect(
            harness.send(n + "\r\n") == [
                SessionHarness.reply(501, (5, 5, 2), "Cannot decode the authentication response")
            ]
        )
        harness.send("AUTH PLAIN\r\n")
        #expect(
            harness.send(n + "A\r\n") == [
                SessionHarness.reply(500, (5, 5, 6), "Authentication exchange line is too long")
            ]
        )
        // Back to commands: the 1000-octet framing limit applies again.
        #expect(harness.codes(String(repeating: "N", count: 1200) + "\r\nNOOP\r\n") == [500, 250])
    }
}

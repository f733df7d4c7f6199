import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPServer

/// 503 for every command out of order, 500/501 for syntax (RFC 5321 4.3.2, 4.2.4).
@Suite(.offThePool) struct SessionOrderingTests {
    @Test func mailBeforeHello() {
        var harness = SessionHarness()
        #expect(
            harness.send("MAIL FROM:<alice@example.test>\r\n") == [
                SessionHarness.reply(503, (5, 5, 1), "Send EHLO or HELO first")
            ]
        )
    }

    @Test func rcptBeforeMail() {
        var harness = SessionHarness()
        #expect(
            harness.codes("RCPT TO:<bob@example.test>\r\nEHLO c\r\nRCPT TO:<bob@example.test>\r\n") == [503, 250, 503]
        )
    }

    @Test func dataBeforeMailOrRecipients() {
        var harness = SessionHarness()
        #expect(harness.codes("DATA\r\nEHLO c\r\nDATA\r\nMAIL FROM:<>\r\nDATA\r\n") == [503, 250, 503, 250, 554])
    }

    @Test func dataAfterOnlyRefusedRecipients() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\nMAIL FROM:<>\r\n")
        let actions = harness.resolving(harness.send("RCPT TO:<nobody@example.test>\r\nDATA\r\n"), known: [])
        #expect(SessionHarness.codes(actions) == [550, 554])
    }

    @Test func nestedMail() {
        var harness = SessionHarness()
        #expect(harness.codes("EHLO c\r\nMAIL FROM:<>\r\nMAIL FROM:<>\r\n") == [250, 250, 503])
    }

    @Test func bdatOutOfOrderStillReadsTheChunk() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\n")
        // The 5 octets "NOOP\r" are chunk data, not a command; the session stays in step.
        #expect(harness.codes("BDAT 5\r\nNOOP\r\nNOOP\r\n") == [503, 500])
        #expect(harness.codes("MAIL FROM:<>\r\nBDAT 6 LAST\r\nRSET\r\nNOOP\r\n") == [250, 554, 250])
    }

    @Test func dataWhileChunking() {
        var harness = SessionHarness()
        harness.startTransaction()
        #expect(harness.codes("BDAT 2\r\nabDATA\r\n") == [250, 503])
    }

    @Test func syntaxErrors() {
        var harness = SessionHarness()
        #expect(harness.send("FOO\r\n") == [SessionHarness.reply(500, (5, 5, 2), "Command unrecognized")])
        #expect(harness.codes("EHLO\r\n") == [501])
        harness.codes("EHLO c\r\n")
        #expect(
            harness.send("MAIL FROM:alice\r\n") == [
                SessionHarness.reply(501, (5, 1, 7), "Bad sender address syntax: address must be in angle brackets")
            ]
        )
        #expect(harness.codes("MAIL FROM:<> FOO=BAR\r\n") == [555])
        harness.codes("MAIL FROM:<>\r\n")
        #expect(
            SessionHarness.replies(harness.send("RCPT TO:<bob>\r\n")).first?.enhancedCode == EnhancedStatusCode(5, 1, 3)
        )
    }

    @Test func extensionParametersNeedEHLO() {
        var harness = SessionHarness()
        #expect(harness.codes("HELO c\r\nMAIL FROM:<> SIZE=10\r\nMAIL FROM:<>\r\n") == [250, 555, 250])
    }

    @Test func dsnParametersAreRefusedCleanly() {
        var harness = SessionHarness()
        #expect(harness.codes("EHLO c\r\nMAIL FROM:<> RET=FULL\r\nMAIL FROM:<>\r\n") == [250, 555, 250])
        #expect(harness.codes("RCPT TO:<bob@example.test> NOTIFY=NEVER\r\n") == [555])
    }

    @Test func binaryMIMENeedsBDAT() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\nMAIL FROM:<> BODY=BINARYMIME\r\nRCPT TO:<bob@example.test>\r\n")
        #expect(harness.codes("DATA\r\n") == [503])
        #expect(harness.codes("BDAT 1 LAST\r\n\0") == [])
        #expect(harness.session.isAwaitingAnswer)
    }

    /// Every reply but the greeting, EHLO/HELO and 3xx carries an enhanced status code (RFC 2034).
    @Test func enhancedCodesOnEveryReply() {
        var harness = SessionHarness(SessionHarness.configuration(allowPlaintextAuth: true, maximumErrors: 100))
        let script = [
            "EHLO c", "NOOP", "HELP", "VRFY x", "EXPN x", "FOO", "MAIL FROM:<>", "RCPT TO:<x@elsewhere.test>",
            "RCPT TO:<bob@example.test>", "MAIL FROM:<>", "RSET", "AUTH CRAM-MD5", "STARTTLS",
        ]
        var replies: [SMTPReply] = []
        for line in script { replies += SessionHarness.replies(harness.resolving(harness.send(line + "\r\n"))) }
        let needingCodes = replies.filter {
            !(300..<400).contains($0.code) && $0.lines.first?.contains("greets") != true
        }
        #expect(needingCodes.count == script.count - 1)
        #expect(needingCodes.allSatisfy { $0.enhancedCode?.class == $0.code / 100 })
    }
}

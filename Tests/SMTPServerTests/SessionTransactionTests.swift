import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPServer

@Suite(.offThePool) struct SessionTransactionTests {
    @Test func greeting() {
        var session = SMTPSession(
            configuration: SessionHarness.configuration(),
            connectionID: "c1",
            clientAddress: "::1"
        )
        #expect(
            session.received(.connected) == [.reply(SMTPReply(code: 220, nil, "mx.example.test ESMTP correo ready"))]
        )
    }

    @Test func ehloListsExtensionsWithoutEnhancedCodes() {
        var harness = SessionHarness()
        let reply = SessionHarness.replies(harness.send("EHLO client.example\r\n"))
        #expect(
            reply == [
                SMTPReply(
                    code: 250,
                    nil,
                    lines: [
                        "mx.example.test greets client.example", "PIPELINING", "SIZE 1000", "8BITMIME", "SMTPUTF8",
                        "ENHANCEDSTATUSCODES", "CHUNKING", "BINARYMIME", "STARTTLS", "HELP",
                    ]
                )
            ]
        )
    }

    @Test func heloIsOneLine() {
        var harness = SessionHarness()
        #expect(
            SessionHarness.replies(harness.send("HELO client.example\r\n")) == [
                SMTPReply(code: 250, nil, "mx.example.test greets client.example")
            ]
        )
    }

    @Test func wholeTransaction() {
        var harness = SessionHarness()
        #expect(harness.send("EHLO client.example\r\n").count == 1)
        #expect(
            harness.send("MAIL FROM:<alice@example.test>\r\n") == [SessionHarness.reply(250, (2, 1, 0), "Sender OK")]
        )
        #expect(harness.send("RCPT TO:<bob@example.test>\r\n") == [.lookUpRecipient("bob@example.test")])
        #expect(
            harness.event(.recipientLookedUp("bob@example.test")) == [
                SessionHarness.reply(250, (2, 1, 5), "Recipient OK")
            ]
        )
        #expect(
            harness.send("DATA\r\n") == [
                SessionHarness.reply(354, nil, "Start mail input; end with <CRLF>.<CRLF>"), .beginMessage,
                .messageData(ByteBuffer(string: SessionHarness.traceHeaders)),
            ]
        )
        #expect(
            harness.send("Subject: hi\r\n\r\n..dot\r\nbody\r\n") == [
                .messageData(ByteBuffer(string: "Subject: hi\r\n\r\n.dot\r\nbody\r\n"))
            ]
        )
        #expect(harness.send(".\r\n") == [SessionHarness.delivery(["bob@example.test"])])
        #expect(harness.session.isAwaitingAnswer)
        #expect(
            harness.event(.messageStored(.delivered)) == [SessionHarness.reply(250, (2, 0, 0), "OK: queued as c1-1")]
        )
        // A message taken by the outbound queue is named by its queue id, the one `correo queue` shows.
        harness.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.test>\r\n")
        _ = harness.event(.recipientLookedUp("bob@example.test"))
        harness.send("DATA\r\nhi\r\n.\r\n")
        #expect(
            harness.event(.messageStored(.queued(id: "tbx1q9a0000abcd")))
                == [SessionHarness.reply(250, (2, 0, 0), "OK: queued as tbx1q9a0000abcd")]
        )
        #expect(
            harness.send("QUIT\r\n") == [
                SessionHarness.reply(221, (2, 0, 0), "mx.example.test closing connection"), .close,
            ]
        )
        #expect(harness.session.isClosed)
    }

    @Test func messageOctetsAreKeptExactly() {
        var harness = SessionHarness(SessionHarness.configuration(maximumMessageSize: 10_000))
        harness.startTransaction()
        let body = "Subject: caf\u{E9}\r\n\r\n\u{1F600} 8-bit\r\n\tTabbed\r\n..\r\n...two\r\ntrailing space \r\n"
        let actions = harness.send("DATA\r\n" + body + ".\r\n")
        let stored = SessionHarness.data(actions)
        #expect(stored == SessionHarness.traceHeaders + body.replacingOccurrences(of: "\r\n..", with: "\r\n."))
    }

    /// SMTP smuggling: a bare LF, or LF.LF, never ends DATA; only CRLF.CRLF does.
    @Test func bareLineFeedsNeverEndData() {
        var harness = SessionHarness()
        harness.startTransaction()
        let actions = harness.send("DATA\r\na\n.\nMAIL FROM:<mallory@evil.test>\r\nb\r.\rc\r\n")
        #expect(!actions.contains { if case .deliverMessage = $0 { true } else { false } })
        #expect(SessionHarness.data(actions).hasSuffix("a\n.\nMAIL FROM:<mallory@evil.test>\r\nb\r.\rc\r\n"))
        #expect(harness.send(".\r\n") == [SessionHarness.delivery(["bob@example.test"])])
    }

    @Test func receivedHeaderWithoutForWhenSeveralRecipients() {
        var harness = SessionHarness()
        harness.startTransaction(recipients: ["bob@example.test", "carol@other.test"])
        let data = SessionHarness.data(harness.send("DATA\r\n"))
        #expect(data.contains("with ESMTP id c1-1;\r\n\t\(SessionHarness.date)\r\n"))
        #expect(!data.contains("for <"))
    }

    @Test func clientNameCannotBreakTheReceivedHeader() {
        var harness = SessionHarness()
        harness.codes("EHLO (évil)\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n")
        #expect(SessionHarness.data(harness.send("DATA\r\n")).contains("Received: from vil ([192.0.2.9])\r\n"))
    }

    @Test func nullSenderAndHELOProtocol() {
        var harness = SessionHarness()
        harness.codes("HELO client.example\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\n")
        let data = SessionHarness.data(harness.send("DATA\r\n"))
        #expect(
            data.hasPrefix(
                "Return-Path: <>\r\nReceived: from client.example ([192.0.2.9])\r\n\tby mx.example.test (correo) with SMTP id"
            )
        )
    }

    @Test func ipv6ClientLiteral() {
        var session = SMTPSession(
            configuration: SessionHarness.configuration(),
            connectionID: "c2",
            clientAddress: "2001:db8::5"
        )
        _ = session.received(.connected)
        var harness = SessionHarness()
        harness.session = session
        harness.startTransaction()
        #expect(SessionHarness.data(harness.send("DATA\r\n")).contains("([IPv6:2001:db8::5])"))
    }

    @Test func storeFailuresAreNeverAcknowledged() {
        var harness = SessionHarness()
        harness.startTransaction()
        harness.send("DATA\r\nx\r\n.\r\n")
        #expect(
            harness.event(.messageStored(.temporaryFailure)) == [
                SessionHarness.reply(451, (4, 3, 0), "Temporary failure storing the message; try again later")
            ]
        )
        harness.startTransaction()
        harness.send("DATA\r\nx\r\n.\r\n")
        #expect(
            harness.event(.messageStored(.insufficientStorage)) == [
                SessionHarness.reply(452, (4, 3, 1), "Insufficient system storage")
            ]
        )
        // The transaction is over either way: a new one starts cleanly.
        #expect(harness.codes("MAIL FROM:<alice@example.test>\r\n") == [250])
    }

    @Test func simpleCommands() {
        var harness = SessionHarness()
        #expect(harness.codes("NOOP\r\n") == [250])
        #expect(harness.codes("VRFY bob\r\n") == [252])
        #expect(harness.codes("EXPN staff\r\n") == [502])
        #expect(harness.codes("HELP\r\n") == [214])
        #expect(harness.codes("RSET\r\n") == [250])
    }

    @Test func rsetEndsTheTransaction() {
        var harness = SessionHarness()
        harness.startTransaction()
        #expect(harness.codes("RSET\r\nDATA\r\n") == [250, 503])
        #expect(harness.codes("MAIL FROM:<alice@example.test>\r\n") == [250])
    }

    @Test func ehloAlsoEndsTheTransaction() {
        var harness = SessionHarness()
        harness.startTransaction()
        #expect(harness.codes("EHLO again.example\r\nRCPT TO:<bob@example.test>\r\n") == [250, 503])
    }

    @Test func timeoutCloses() {
        var harness = SessionHarness()
        #expect(
            harness.event(.timedOut) == [SessionHarness.reply(421, (4, 4, 2), "Timeout; closing connection"), .close]
        )
    }

    @Test func shutdownWhenIdleClosesAtOnce() {
        var harness = SessionHarness()
        #expect(SessionHarness.codes(harness.event(.shutdownRequested)) == [421])
        #expect(harness.session.isClosed)
    }

    @Test func shutdownLetsTheTransactionFinish() {
        var harness = SessionHarness()
        harness.startTransaction()
        #expect(harness.event(.shutdownRequested) == [])
        harness.send("DATA\r\nx\r\n.\r\n")
        let actions = harness.event(.messageStored(.delivered))
        #expect(SessionHarness.codes(actions) == [250, 421])
        #expect(actions.last == .close)
    }

    @Test func quitDuringChunkingThrowsMessageAway() {
        var harness = SessionHarness()
        harness.startTransaction()
        harness.send("BDAT 3\r\nabc")
        #expect(harness.send("QUIT\r\n").first == .abortMessage)
    }
}

import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPServer

@Suite(.offThePool) struct SessionPipeliningTests {
    /// RFC 2920: commands sent together are answered in order; the session pauses at each lookup and
    /// resumes with what was buffered.
    @Test func pipelinedTransaction() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\n")
        let first = harness.send(
            "MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nRCPT TO:<carol@example.test>\r\nDATA\r\n"
        )
        #expect(first == [SessionHarness.reply(250, (2, 1, 0), "Sender OK"), .lookUpRecipient("bob@example.test")])
        #expect(
            harness.event(.recipientLookedUp("bob@example.test")) == [
                SessionHarness.reply(250, (2, 1, 5), "Recipient OK"), .lookUpRecipient("carol@example.test"),
            ]
        )
        let last = harness.event(.recipientLookedUp("carol@example.test"))
        #expect(SessionHarness.codes(last) == [250, 354])
        #expect(last.contains(.beginMessage))
    }

    @Test func commandsAfterTheMessageWaitForTheStore() {
        var harness = SessionHarness()
        harness.startTransaction()
        let actions = harness.send("DATA\r\nhello\r\n.\r\nMAIL FROM:<alice@example.test>\r\n")
        #expect(SessionHarness.codes(actions) == [354])
        #expect(actions.last == SessionHarness.delivery(["bob@example.test"]))
        #expect(SessionHarness.codes(harness.event(.messageStored(.delivered))) == [250, 250])
    }

    @Test func twoMessagesInOneRead() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\n")
        let message = "MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n"
        var actions = harness.resolving(harness.send(message + message + "QUIT\r\n"))
        actions += harness.resolving(harness.event(.messageStored(.delivered)))
        actions += harness.resolving(harness.event(.messageStored(.delivered)))
        #expect(SessionHarness.codes(actions) == [250, 250, 354, 250, 250, 250, 354, 250, 221])
    }
}

@Suite(.offThePool) struct SessionStartTLSTests {
    /// RFC 3207 4.2 and the STARTTLS command-injection class: what was pipelined after STARTTLS is
    /// thrown away, and the session starts over, as if just connected.
    @Test func pipelinedCommandsAfterSTARTTLSAreDiscarded() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\n")
        let actions = harness.send("STARTTLS\r\nMAIL FROM:<mallory@evil.test>\r\nRCPT TO:<bob@example.test>\r\n")
        #expect(actions == [SessionHarness.reply(220, (2, 0, 0), "Ready to start TLS"), .startTLS])
        #expect(harness.session.isTLS)
        #expect(harness.codes("RCPT TO:<bob@example.test>\r\nMAIL FROM:<alice@example.test>\r\n") == [503, 503])
    }

    @Test func ehloAfterTLSOffersAuthNotSTARTTLS() {
        var harness = SessionHarness()
        harness.send("EHLO c\r\nSTARTTLS\r\n")
        let lines = SessionHarness.replies(harness.send("EHLO c\r\n")).first?.lines ?? []
        #expect(lines.contains("AUTH PLAIN LOGIN"))
        #expect(!lines.contains("STARTTLS"))
    }

    @Test func startTLSRefusals() {
        var plain = SessionHarness(SessionHarness.configuration(tlsAvailable: false))
        #expect(plain.send("STARTTLS\r\n") == [SessionHarness.reply(502, (5, 5, 1), "STARTTLS is not available")])
        #expect(SessionHarness.replies(plain.send("EHLO c\r\n")).first?.lines.contains("STARTTLS") == false)
        var secure = SessionHarness(isTLS: true)
        #expect(secure.codes("STARTTLS\r\n") == [503])
        #expect(secure.codes("STARTTLS now\r\n") == [501])
        var busy = SessionHarness()
        busy.codes("EHLO c\r\nMAIL FROM:<>\r\n")
        #expect(busy.codes("STARTTLS\r\n") == [503])
    }

    @Test func tlsSessionsSayESMTPS() {
        var harness = SessionHarness(isTLS: true)
        harness.startTransaction()
        #expect(SessionHarness.data(harness.send("DATA\r\n")).contains("with ESMTPS id"))
    }
}

@Suite(.offThePool) struct SessionAuthTests {
    static let plain = "AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ="  // \0alice@example.test\0secret
    static let alice = SMTPCredentials(username: "alice@example.test", password: "secret")

    @Test func plainWithInitialResponse() {
        var harness = SessionHarness(isTLS: true)
        harness.codes("EHLO c\r\n")
        #expect(harness.send("AUTH PLAIN \(Self.plain)\r\n") == [.authenticate(Self.alice)])
        #expect(
            harness.event(.authenticated(true)) == [SessionHarness.reply(235, (2, 7, 0), "Authentication successful")]
        )
        #expect(harness.session.authenticatedUser == "alice@example.test")
        #expect(harness.codes("AUTH PLAIN \(Self.plain)\r\n") == [503])
        #expect(SessionHarness.replies(harness.send("EHLO c\r\n")).first?.lines.contains("AUTH PLAIN LOGIN") == false)
    }

    @Test func plainWithChallenge() {
        var harness = SessionHarness(isTLS: true)
        harness.codes("EHLO c\r\n")
        #expect(harness.send("AUTH PLAIN\r\n") == [.reply(SMTPReply(code: 334, nil, ""))])
        #expect(harness.send("\(Self.plain)\r\n") == [.authenticate(Self.alice)])
    }

    @Test func login() {
        var harness = SessionHarness(isTLS: true)
        harness.codes("EHLO c\r\n")
        #expect(harness.send("AUTH LOGIN\r\n") == [.reply(SMTPReply(code: 334, nil, "VXNlcm5hbWU6"))])
        #expect(harness.send("YWxpY2VAZXhhbXBsZS50ZXN0\r\n") == [.reply(SMTPReply(code: 334, nil, "UGFzc3dvcmQ6"))])
        #expect(harness.send("c2VjcmV0\r\n") == [.authenticate(Self.alice)])
        // Input while the password is checked waits its turn.
        #expect(harness.send("AUTH LOGIN YWxpY2VAZXhhbXBsZS50ZXN0\r\n") == [])
        #expect(SessionHarness.codes(harness.event(.authenticated(false))) == [535, 334])
    }

    @Test func cancelAndMalformedResponses() {
        var harness = SessionHarness(isTLS: true)
        harness.codes("EHLO c\r\n")
        harness.send("AUTH PLAIN\r\n")
        #expect(harness.send("*\r\n") == [SessionHarness.reply(501, (5, 7, 0), "Authentication cancelled")])
        harness.send("AUTH LOGIN\r\n")
        #expect(harness.codes("not base64!\r\n") == [501])
        #expect(harness.codes("AUTH PLAIN AGFsaWNl\r\n") == [501])
        #expect(harness.codes("AUTH DIGEST-MD5\r\n") == [504])
        harness.send("AUTH PLAIN\r\n")
        #expect(
            harness.send(String(repeating: "A", count: 13000) + "\r\n") == [
                SessionHarness.reply(500, (5, 5, 6), "Authentication exchange line is too long")
            ]
        )
    }

    @Test func authzidMustMatch() {
        var harness = SessionHarness(isTLS: true)
        harness.codes("EHLO c\r\n")
        // "bob@example.test\0alice@example.test\0secret"
        #expect(harness.codes("AUTH PLAIN Ym9iQGV4YW1wbGUudGVzdABhbGljZUBleGFtcGxlLnRlc3QAc2VjcmV0\r\n") == [535])
    }

    @Test func notOfferedWithoutTLS() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\n")
        #expect(
            harness.send("AUTH PLAIN \(Self.plain)\r\n") == [
                SessionHarness.reply(538, (5, 7, 11), "Encryption required for requested authentication mechanism")
            ]
        )
        var allowed = SessionHarness(SessionHarness.configuration(allowPlaintextAuth: true))
        #expect(SessionHarness.replies(allowed.send("EHLO c\r\n")).first?.lines.contains("AUTH PLAIN LOGIN") == true)
        #expect(allowed.send("AUTH PLAIN \(Self.plain)\r\n") == [.authenticate(Self.alice)])
    }

    @Test func notDuringTransactionOrBeforeEHLO() {
        var harness = SessionHarness(isTLS: true)
        #expect(harness.codes("AUTH PLAIN \(Self.plain)\r\n") == [503])
        harness.codes("EHLO c\r\nMAIL FROM:<>\r\n")
        #expect(harness.codes("AUTH PLAIN \(Self.plain)\r\n") == [503])
    }

    /// Failed attempts at N-1 keep the session; the Nth closes it with 421.
    @Test func tooManyFailures() {
        var harness = SessionHarness(isTLS: true)
        harness.codes("EHLO c\r\n")
        for _ in 1..<3 {
            harness.send("AUTH PLAIN \(Self.plain)\r\n")
            #expect(
                harness.event(.authenticated(false)) == [
                    SessionHarness.reply(535, (5, 7, 8), "Authentication credentials invalid")
                ]
            )
        }
        harness.send("AUTH PLAIN \(Self.plain)\r\n")
        #expect(SessionHarness.codes(harness.event(.authenticated(false))) == [535, 421])
        #expect(harness.session.isClosed)
    }

    /// RFC 4954 6: a users' store that cannot be asked is `454 4.7.0`, at once and as often as it
    /// happens; it is no failed attempt (no pause, no throttle, no cut-off), and AUTH works afterwards.
    @Test func anUnavailableUserStoreIsATemporaryFailureNotAFailedAttempt() {
        var configuration = SessionHarness.configuration()
        configuration.sharesAuthThrottle = true
        var harness = SessionHarness(configuration, isTLS: true)
        harness.codes("EHLO c\r\n")
        for _ in 0..<5 {
            harness.send("AUTH PLAIN \(Self.plain)\r\n")
            #expect(harness.event(.authenticationAllowed) == [.authenticate(Self.alice)])
            #expect(
                harness.event(.authenticationUnavailable) == [
                    SessionHarness.reply(454, (4, 7, 0), "Temporary authentication failure; try again later")
                ]
            )
        }
        #expect(!harness.session.isClosed)
        harness.send("AUTH PLAIN \(Self.plain)\r\n")
        harness.event(.authenticationAllowed)
        #expect(
            harness.event(.authenticated(true)) == [
                .recordAuthenticationSuccess, SessionHarness.reply(235, (2, 7, 0), "Authentication successful"),
            ]
        )
    }

    /// The back-off is the session's: a failure waits `authenticationFailureDelay` times the session's
    /// failures, plus what the address's failures elsewhere add, before its 535; input waits meanwhile.
    @Test func aFailedAuthIsAnsweredAfterAPauseThatGrows() {
        var configuration = SessionHarness.configuration()
        configuration.authenticationFailureDelay = .seconds(1)
        configuration.sharesAuthThrottle = true
        var harness = SessionHarness(configuration, isTLS: true)
        harness.codes("EHLO c\r\n")
        #expect(harness.send("AUTH PLAIN \(Self.plain)\r\n") == [.checkAuthThrottle])
        #expect(harness.event(.authenticationAllowed) == [.authenticate(Self.alice)])
        #expect(harness.event(.authenticated(false)) == [.recordAuthenticationFailure])
        #expect(
            harness.event(.authenticationFailureRecorded(backOff: .milliseconds(500))) == [.pause(.milliseconds(1500))]
        )
        // A pipelined command waits for the answer.
        #expect(harness.send("NOOP\r\n").isEmpty)
        #expect(SessionHarness.codes(harness.event(.pauseElapsed)) == [535, 250])
        harness.send("AUTH PLAIN \(Self.plain)\r\n")
        harness.event(.authenticationAllowed)
        harness.event(.authenticated(false))
        #expect(harness.event(.authenticationFailureRecorded(backOff: .zero)) == [.pause(.seconds(2))])
        #expect(SessionHarness.codes(harness.event(.pauseElapsed)) == [535])
        // A success is answered at once, and clears the address in the shared throttle.
        harness.send("AUTH PLAIN \(Self.plain)\r\n")
        harness.event(.authenticationAllowed)
        let success = harness.event(.authenticated(true))
        #expect(success.first == .recordAuthenticationSuccess)
        #expect(SessionHarness.codes(success) == [235])
    }

    /// The shared throttle's rule at the level it now lives: an address that failed too often lately is
    /// refused by the session value without a password check — 421 4.7.0, and the end.
    @Test func aThrottledAddressGets421AndTheSessionEnds() {
        var configuration = SessionHarness.configuration()
        configuration.sharesAuthThrottle = true
        var harness = SessionHarness(configuration, isTLS: true)
        harness.codes("EHLO c\r\n")
        #expect(harness.send("AUTH PLAIN \(Self.plain)\r\n") == [.checkAuthThrottle])
        let actions = harness.event(.authenticationThrottled)
        #expect(actions == [SessionHarness.reply(421, (4, 7, 0), "Too many failed logins; try later"), .close])
        #expect(!actions.contains(.authenticate(Self.alice)))
        #expect(harness.session.isClosed)
    }

    /// Without a shared throttle the session asks nothing of it: the credentials are checked at once,
    /// and a refusal meant for a throttle check is ignored.
    @Test func withoutASharedThrottleNothingIsAskedOfIt() {
        var harness = SessionHarness(isTLS: true)
        harness.codes("EHLO c\r\n")
        #expect(harness.send("AUTH PLAIN \(Self.plain)\r\n") == [.authenticate(Self.alice)])
        #expect(harness.event(.authenticationThrottled).isEmpty)
        #expect(SessionHarness.codes(harness.event(.authenticated(false))) == [535])
    }

    @Test func passwordsNeverAppearInDescriptions() {
        #expect(!"\(Self.alice)".contains("secret"))
        #expect(!String(reflecting: Self.alice).contains("secret"))
        #expect(!"\(SMTPSession.Action.authenticate(Self.alice))".contains("secret"))
    }
}

@Suite(.offThePool) struct SessionChunkingTests {
    @Test func chunksThenLast() {
        var harness = SessionHarness()
        harness.startTransaction()
        let first = harness.send("BDAT 5\r\nhel")
        #expect(
            first == [
                .beginMessage, .messageData(ByteBuffer(string: SessionHarness.traceHeaders)),
                .messageData(ByteBuffer(string: "hel")),
            ]
        )
        #expect(
            harness.send("lo") == [
                .messageData(ByteBuffer(string: "lo")), SessionHarness.reply(250, (2, 0, 0), "5 octets received"),
            ]
        )
        #expect(
            harness.send("BDAT 4 LAST\r\n.\r\n\n") == [
                .messageData(ByteBuffer(string: ".\r\n\n")), SessionHarness.delivery(["bob@example.test"]),
            ]
        )
        #expect(SessionHarness.codes(harness.event(.messageStored(.delivered))) == [250])
    }

    @Test func emptyLastChunk() {
        var harness = SessionHarness()
        harness.startTransaction()
        #expect(harness.send("BDAT 0 LAST\r\n").last == SessionHarness.delivery(["bob@example.test"]))
    }

    @Test func rsetBetweenChunksAbortsTheMessage() {
        var harness = SessionHarness()
        harness.startTransaction()
        harness.send("BDAT 1\r\nx")
        #expect(harness.send("RSET\r\n") == [.abortMessage, SessionHarness.reply(250, (2, 0, 0), "OK")])
    }
}

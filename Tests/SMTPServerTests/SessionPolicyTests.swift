import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPServer

@Suite(.offThePool) struct SessionPolicyTests {
    @Test func unknownLocalUser() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\nMAIL FROM:<>\r\n")
        #expect(harness.send("RCPT TO:<nobody@example.test>\r\n") == [.lookUpRecipient("nobody@example.test")])
        #expect(harness.event(.recipientLookedUp(nil)) == [SessionHarness.reply(550, (5, 1, 1), "No such user here")])
    }

    /// A users' store that cannot be asked (a database that is down) is `451 4.3.0`: the sender tries
    /// again instead of bouncing the mail as for an unknown user; the session goes on, and the next RCPT
    /// is looked up afresh.
    @Test func aRecipientThatCannotBeLookedUpIsATemporaryFailure() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\nMAIL FROM:<>\r\n")
        for _ in 0..<12 {
            #expect(harness.send("RCPT TO:<bob@example.test>\r\n") == [.lookUpRecipient("bob@example.test")])
            #expect(
                harness.event(.recipientLookupUnavailable) == [
                    SessionHarness.reply(451, (4, 3, 0), "Cannot look up the recipient now; try again later")
                ]
            )
        }
        // Not counted as the client's errors: twelve of them do not close the session.
        #expect(!harness.session.isClosed)
        harness.send("RCPT TO:<bob@example.test>\r\n")
        #expect(SessionHarness.codes(harness.event(.recipientLookedUp("bob@example.test"))) == [250])
    }

    @Test func domainsMatchCaseInsensitively() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\nMAIL FROM:<>\r\n")
        #expect(harness.send("RCPT TO:<Bob@EXAMPLE.test>\r\n") == [.lookUpRecipient("Bob@example.test")])
    }

    @Test func noOpenRelay() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\nMAIL FROM:<alice@example.test>\r\n")
        #expect(
            harness.send("RCPT TO:<victim@elsewhere.test>\r\n") == [
                SessionHarness.reply(554, (5, 7, 1), "Relaying denied")
            ]
        )
        #expect(harness.codes("RCPT TO:<victim@[192.0.2.1]>\r\n") == [554])
        #expect(harness.codes("RCPT TO:<@example.test:victim@elsewhere.test>\r\n") == [554])
    }

    @Test func authenticatedMailToOtherDomainsIsDeferredNotDropped() {
        var harness = SessionHarness(SessionHarness.configuration(listener: .submission), isTLS: true)
        harness.codes("EHLO c\r\n")
        harness.send("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ=\r\n")
        harness.event(.authenticated(true))
        harness.codes("MAIL FROM:<alice@example.test>\r\n")
        #expect(
            harness.send("RCPT TO:<friend@elsewhere.test>\r\n") == [
                SessionHarness.reply(451, (4, 3, 0), "Delivery to other domains is not available yet; try again later")
            ]
        )
    }

    @Test func postmasterGoesToTheConfiguredMailbox() {
        var harness = SessionHarness(SessionHarness.configuration(postmaster: "admin@example.test"))
        harness.codes("EHLO c\r\nMAIL FROM:<>\r\n")
        #expect(harness.codes("RCPT TO:<Postmaster>\r\nRCPT TO:<POSTMASTER@other.test>\r\n") == [250, 250])
        #expect(harness.send("DATA\r\n").contains(.beginMessage))
        #expect(harness.send(".\r\n") == [SessionHarness.delivery(["admin@example.test"], helo: "c", sender: "")])
    }

    @Test func postmasterWithoutConfigurationIsLookedUp() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\nMAIL FROM:<>\r\n")
        #expect(harness.send("RCPT TO:<Postmaster>\r\n") == [.lookUpRecipient("postmaster@example.test")])
        #expect(
            harness.event(.recipientLookedUp(nil)) == [
                SessionHarness.reply(
                    550,
                    (5, 1, 1),
                    "No postmaster mailbox here: the operator must add postmaster@example.test"
                )
            ]
        )
    }

    @Test func utf8AddressesNeedSMTPUTF8() {
        var harness = SessionHarness()
        harness.codes("EHLO c\r\n")
        #expect(
            harness.send("MAIL FROM:<josé@example.test>\r\n") == [
                SessionHarness.reply(553, (5, 6, 7), "Non-ASCII addresses need the SMTPUTF8 parameter")
            ]
        )
        harness.codes("MAIL FROM:<alice@example.test>\r\n")
        #expect(harness.codes("RCPT TO:<josé@example.test>\r\n") == [553])
        harness.codes("RSET\r\nMAIL FROM:<josé@example.test> SMTPUTF8\r\n")
        #expect(harness.send("RCPT TO:<josé@example.test>\r\n") == [.lookUpRecipient("josé@example.test")])
        harness.event(.recipientLookedUp("josé@example.test"))
        #expect(SessionHarness.data(harness.send("DATA\r\n")).contains("with UTF8SMTP id"))
    }

    @Test func submissionNeedsAuthentication() {
        var harness = SessionHarness(SessionHarness.configuration(listener: .submission), isTLS: true)
        harness.codes("EHLO c\r\n")
        #expect(
            harness.send("MAIL FROM:<alice@example.test>\r\n") == [
                SessionHarness.reply(530, (5, 7, 0), "Authentication required")
            ]
        )
    }

    @Test func authenticatedSenderMayOnlyUseOwnAddress() {
        var harness = SessionHarness(SessionHarness.configuration(listener: .submissions), isTLS: true)
        harness.codes("EHLO c\r\n")
        harness.send("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ=\r\n")
        #expect(
            harness.event(.authenticated(true)) == [SessionHarness.reply(235, (2, 7, 0), "Authentication successful")]
        )
        #expect(
            harness.send("MAIL FROM:<bob@example.test>\r\n") == [
                SessionHarness.reply(553, (5, 7, 1), "Sender address is not owned by the authenticated user")
            ]
        )
        #expect(harness.codes("MAIL FROM:<ALICE@example.test>\r\nRCPT TO:<bob@example.test>\r\n") == [250, 250])
        #expect(SessionHarness.data(harness.send("DATA\r\n")).contains("with ESMTPSA id"))
    }

    @Test func senderCheckCanBeTurnedOff() {
        var configuration = SessionHarness.configuration(listener: .submission)
        configuration.requireSenderToMatchAuthenticatedUser = false
        var harness = SessionHarness(configuration, isTLS: true)
        harness.codes("EHLO c\r\n")
        harness.send("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ=\r\n")
        harness.event(.authenticated(true))
        #expect(harness.codes("MAIL FROM:<bob@example.test>\r\n") == [250])
    }
}

import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPServer

/// What the session tells the store about who handed a message over, and the store's refusal.
@Suite(.offThePool) struct SessionOriginTests {
    @Test func localDeliveryCarriesClientHeloAndSender() {
        var harness = SessionHarness()
        #expect(
            harness.codes(
                "HELO Relay.Example.ORG\r\nMAIL FROM:<Carol@Sender.Example>\r\nRCPT TO:<bob@example.test>\r\n"
            )
                == [250, 250, 250]
        )
        let actions = harness.send("DATA\r\nx\r\n.\r\n")
        let expected = SMTPMessageOrigin(
            clientAddress: "192.0.2.9",
            heloName: "Relay.Example.ORG",
            sender: "Carol@Sender.Example",
            authenticatedUser: nil
        )
        #expect(actions.last == .deliverMessage(recipients: ["bob@example.test"], origin: expected))
    }

    @Test func nullSenderIsEmpty() {
        var harness = SessionHarness()
        #expect(harness.codes("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\n") == [250, 250, 250])
        #expect(
            harness.send("DATA\r\nx\r\n.\r\n").last
                == SessionHarness.delivery(["bob@example.test"], helo: "c", sender: "")
        )
    }

    @Test func authenticatedUserIsNamed() {
        var harness = SessionHarness(isTLS: true)
        #expect(harness.codes("EHLO c\r\n") == [250])
        harness.send("AUTH PLAIN \(SessionAuthTests.plain)\r\n")
        harness.event(.authenticated(true))
        #expect(harness.codes("MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n") == [250, 250])
        let last = harness.send("DATA\r\nx\r\n.\r\n").last
        guard case .deliverMessage(_, nil, let origin)? = last else {
            Issue.record("no local delivery: \(String(describing: last))")
            return
        }
        #expect(origin.authenticatedUser == "alice@example.test")
    }

    @Test func refusalIsPermanentAndEndsTheTransaction() {
        var harness = SessionHarness()
        harness.startTransaction()
        harness.send("DATA\r\nx\r\n.\r\n")
        let reason = "DMARC policy of sender.example: reject (spf fail, no aligned dkim)"
        #expect(harness.event(.messageStored(.refused(reason))) == [SessionHarness.reply(550, (5, 7, 1), reason)])
        #expect(!harness.session.inTransaction)
        #expect(harness.codes("MAIL FROM:<alice@example.test>\r\n") == [250])
    }

    @Test func refusalTextStaysOnePrintableLine() {
        var harness = SessionHarness()
        harness.startTransaction()
        harness.send("DATA\r\nx\r\n.\r\n")
        #expect(
            harness.event(.messageStored(.refused("bad\r\n250 ok"))) == [
                SessionHarness.reply(550, (5, 7, 1), "bad250 ok")
            ]
        )
        harness.startTransaction()
        harness.send("DATA\r\nx\r\n.\r\n")
        #expect(
            harness.event(.messageStored(.refused(""))) == [
                SessionHarness.reply(550, (5, 7, 1), "Message refused by policy")
            ]
        )
    }

    @Test func storeErrorMapsToRefusal() {
        #expect(MessageStream.outcome(SMTPDeliveryError.refused("no")) == .refused("no"))
        #expect(MessageStream.outcome(SMTPDeliveryError.temporaryFailure("x")) == .temporaryFailure)
    }
}

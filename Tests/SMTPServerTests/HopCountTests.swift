import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPServer

/// RFC 5321 §6.3: more than 100 `Received:` fields is a routing loop, refused with 554 5.4.6.
@Suite(.offThePool) struct HopCountTests {
    @Test(arguments: [
        ("Received: a\r\nreceived: b\r\nRECEIVED:c\r\n\r\nReceived: in the body\r\n", 3),
        ("Subject: Received: no\r\n X-Received: no\r\n\tReceived: a fold, no\r\n\r\n", 0),
        ("Received: a\n\nReceived: after a bare-LF empty line is body\r\n", 1),
        ("Receive: short\r\nReceivedx: another field\r\n\r\n", 0),
    ])
    func countsReceivedFieldsInTheHeaderOnly(message: String, count: Int) {
        var counter = HopCounter()
        counter.consume(Array(message.utf8))
        #expect(counter.count == count)
        // Any split of the octets counts the same (BDAT chunks, DATA lines).
        var split = HopCounter()
        for byte in message.utf8 { split.consume(CollectionOfOne(byte)) }
        #expect(split.count == count)
    }

    static func message(hops: Int) -> String {
        String(repeating: "Received: from x.test by y.test; Thu, 3 Dec 2026 12:00:00 +0000\r\n", count: hops)
            + "Subject: loop\r\n\r\nbody\r\n"
    }

    @Test func dataAtTheLimitIsAcceptedAndOneMoreIsRefused() {
        var harness = SessionHarness(SessionHarness.configuration(maximumMessageSize: 100_000))
        harness.startTransaction()
        let accepted = harness.send("DATA\r\n" + Self.message(hops: SMTPServerDefaults.maximumHops) + ".\r\n")
        #expect(accepted.last == SessionHarness.delivery(["bob@example.test"]))
        harness.event(.messageStored(.delivered))
        harness.codes("MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n")
        let refused = harness.send("DATA\r\n" + Self.message(hops: SMTPServerDefaults.maximumHops + 1) + ".\r\n")
        #expect(
            refused.last
                == SessionHarness.reply(554, (5, 4, 6), "Too many hops: more than 100 Received fields, a routing loop")
        )
        #expect(!refused.contains { if case .deliverMessage = $0 { true } else { false } })
    }

    @Test func bdatIsCountedToo() {
        var harness = SessionHarness(SessionHarness.configuration(maximumMessageSize: 100_000))
        harness.startTransaction()
        let message = Self.message(hops: SMTPServerDefaults.maximumHops + 1)
        let refused = harness.send("BDAT \(message.utf8.count) LAST\r\n" + message)
        #expect(
            refused.last
                == SessionHarness.reply(554, (5, 4, 6), "Too many hops: more than 100 Received fields, a routing loop")
        )
    }
}

/// An IPv4 client of a listener on `::` is logged and traced as its IPv4 address.
@Suite(.offThePool) struct ClientAddressTests {
    @Test(arguments: [
        ("::ffff:198.51.100.10", "198.51.100.10"), ("::FFFF:127.0.0.1", "127.0.0.1"), ("2001:db8::1", "2001:db8::1"),
        ("127.0.0.1", "127.0.0.1"), ("::ffff:1.2.3", "::ffff:1.2.3"),
    ])
    func mappedAddressesBecomeIPv4(given: String, shown: String) {
        #expect(SMTPServer.clientAddress(given) == shown)
    }
}

import Foundation
import MailStore
import MailTestSupport
import Testing

@testable import Relay

/// RFC 3464: the report's structure, its per-recipient fields and what it returns of the original.
@Suite(.offThePool) struct DeliveryStatusNotificationTests {
    static let original = Array("Subject: hi\r\nFrom: a@a.test\r\n\r\nsecret body\r\n".utf8)
    static let arrival = Date(timeIntervalSince1970: 1_800_000_000)

    static func report(ret: QueueEnvelope.ReturnContent?, action: DeliveryStatusNotification.Action) -> String {
        var envelope = QueueEnvelope(
            id: "abc",
            sender: "a@a.test",
            recipients: [],
            envelopeID: "env-42",
            returnContent: ret,
            arrival: arrival
        )
        envelope.returnContent = ret
        let recipient = QueuedRecipient(
            address: "b@b.test",
            originalRecipient: "rfc822;B@b.test",
            lastReply: "550 5.1.1 No such user",
            remoteMTA: "mx.b.test"
        )
        let dsn = DeliveryStatusNotification(
            reportingMTA: "mx.a.test",
            envelope: envelope,
            entries: [.init(recipient: recipient, action: action, status: "5.1.1", lastAttempt: arrival)]
        )
        return String(decoding: dsn.render(original: original, now: arrival, messageID: "m-1"), as: UTF8.self)
    }

    @Test func aFailureReportCarriesEveryFieldAndTheWholeOriginal() {
        let text = Self.report(ret: nil, action: .failed)
        #expect(
            text.contains(
                "Content-Type: multipart/report; report-type=delivery-status;\r\n boundary=\"=_correo_dsn_m1\""
            )
        )
        #expect(text.contains("Auto-Submitted: auto-replied\r\n"))
        #expect(text.contains("Subject: Undelivered Mail Returned to Sender\r\n"))
        #expect(
            text.contains(
                "Reporting-MTA: dns; mx.a.test\r\nOriginal-Envelope-Id: env-42\r\nArrival-Date: "
            )
        )
        #expect(
            text.contains(
                "Final-Recipient: rfc822; b@b.test\r\nOriginal-Recipient: rfc822;B@b.test\r\nAction: failed\r\n"
                    + "Status: 5.1.1\r\nRemote-MTA: dns; mx.b.test\r\nDiagnostic-Code: smtp; 550 5.1.1 No such user\r\n"
            )
        )
        #expect(text.contains("Content-Type: message/rfc822\r\n\r\nSubject: hi\r\n"))
        #expect(text.contains("secret body"))
        #expect(text.hasSuffix("\r\n--=_correo_dsn_m1--\r\n"))
        #expect(!text.contains("\n\n") && !text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test func retHeadersAndDelayReportsReturnTheHeaderOnly() {
        for text in [Self.report(ret: .headers, action: .failed), Self.report(ret: nil, action: .delayed)] {
            #expect(text.contains("Content-Type: text/rfc822-headers\r\n\r\nSubject: hi\r\nFrom: a@a.test\r\n\r\n"))
            #expect(!text.contains("secret body"))
        }
    }

    @Test(arguments: [
        ("550 5.1.1 No such user", "5.1.1"), ("451 4.3.0 Try later", "4.3.0"), ("554 Go away", "5.0.0"),
        ("421 closing", "4.0.0"), ("4.4.7 delivery time expired", "4.4.7"), ("connection refused", "fallback"),
        ("550 5.1.1.1 odd", "5.0.0"),
    ])
    func statusComesFromTheReply(reply: String, status: String) {
        #expect(DeliveryStatusNotification.status(of: reply, fallback: "fallback") == status)
    }
}

import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPClient

/// What the client adds to SMTPCore: the message's wire form, extension checks, redacted logs.
@Suite(.offThePool) struct WireTests {
    @Test func wireFormStuffsDotsAndEndsLinesWithCRLF() {
        #expect(
            MessageWireForm.encode(Array("a\r\n.b\r\n..c\r\n".utf8)) == ByteBuffer(string: "a\r\n..b\r\n...c\r\n.\r\n")
        )
        #expect(MessageWireForm.encode(Array(".\nx".utf8)) == ByteBuffer(string: "..\r\nx\r\n.\r\n"))
        #expect(MessageWireForm.encode(Array("a\rb\r".utf8)) == ByteBuffer(string: "a\r\nb\r\n.\r\n"))
        #expect(MessageWireForm.encode([]) == ByteBuffer(string: ".\r\n"))
    }

    @Test func addressesSplitAtTheLastAtScalar() {
        #expect(SMTPMailbox(address: "t@\u{30C}x")?.domain == "\u{30C}x")
        #expect(SMTPMailbox(address: "a@b@example.org")?.localPart == "a@b")
        #expect(SMTPMailbox(address: "@example.org") == nil)
        #expect(SMTPMailbox(address: "no-at") == nil)
    }

    @Test func authCredentialsNeverReachTheLog() {
        #expect(
            SMTPCommand.auth(mechanism: "PLAIN", initialResponse: "AGEAYg==").redactedForLog == "AUTH PLAIN <redacted>"
        )
        #expect(SMTPCommand.auth(mechanism: "LOGIN", initialResponse: nil).redactedForLog == "AUTH LOGIN")
        #expect(SMTPCommand.data.redactedForLog == "DATA")
    }

    @Test func extensionsTheClientAsksAbout() {
        let reply = SMTPReply(
            code: 250,
            lines: ["mx.test", "PIPELINING", "SIZE 35882577", "8BITMIME", "STARTTLS", "SMTPUTF8"]
        )
        let extensions = SMTPExtensions(ehloReply: reply)
        #expect(extensions.pipelining && extensions.eightBitMIME && extensions.startTLS && extensions.smtpUTF8)
        #expect(extensions.messageSizeLimit == 35_882_577)
        #expect(SMTPExtensions(ehloReply: SMTPReply(code: 250, lines: ["x", "SIZE 0"])).messageSizeLimit == nil)
    }

    @Test func headerSectionDecidesSMTPUTF8() {
        let utf8Header = SMTPConnection.envelope(
            from: "a@x.test",
            recipients: ["b@x.test"],
            message: Array("Subject: Jos\u{E9}\r\n\r\nbody\r\n".utf8)
        )
        #expect(utf8Header.needsSMTPUTF8 && utf8Header.needsEightBit)
        let utf8Body = SMTPConnection.envelope(
            from: "a@x.test",
            recipients: ["b@x.test"],
            message: Array("Subject: x\r\n\r\nJos\u{E9}\r\n".utf8)
        )
        #expect(!utf8Body.needsSMTPUTF8 && utf8Body.needsEightBit)
    }
}

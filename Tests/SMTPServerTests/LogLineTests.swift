import Foundation
import MailCore
import MailTestSupport
import SMTPCore
import Testing

@testable import SMTPServer

/// The pieces of the operator's SMTP log lines that are pure: the Message-ID read out of a message as
/// it streams, and the refusal's reason phrase.
@Suite(.offThePool) struct LogLineTests {
    @Test func messageIDIsFoundAcrossChunksAndFoldedLines() {
        var scanner = MessageIDScanner()
        let message =
            "Received: from x\r\n\tby y; Thu, 3 Dec 2026 10:00:00 +0000\r\nSubject: hi\r\nMessage-I"
            + "D:\r\n <abc@example.org>\r\n\r\nbody Message-ID: <not-this@example.org>\r\n"
        for chunk in message.utf8.chunked(7) { scanner.consume(chunk) }
        scanner.messageEnded()
        #expect(scanner.messageID == "<abc@example.org>")
    }

    @Test func noMessageIDInTheBodyIsTaken() {
        var scanner = MessageIDScanner()
        scanner.consume(Array("Subject: x\n\nMessage-ID: <body@example.org>\n".utf8))
        scanner.messageEnded()
        #expect(scanner.messageID == nil)
    }

    @Test func aMessageWithoutBodyStillHasItsHeaderRead() {
        var scanner = MessageIDScanner()
        scanner.consume(Array("Message-ID: <only@example.org>\r\n".utf8))
        scanner.messageEnded()
        #expect(scanner.messageID == "<only@example.org>")
    }

    /// The scanner finds the field a full parse of the header finds: the first one of that name (any
    /// case, blanks before the colon allowed), unfolded, never one in the body or a malformed line.
    @Test(arguments: [
        "message-id: <lower@x>\r\nMessage-ID: <second@x>\r\n\r\nbody",
        "Message-ID : <spaced@x>\n\nbody",
        "no colon here\r\nMessage-ID: <after-junk@x>\r\n\r\n",
        " leading continuation\r\nMessage-ID: <c@x>\r\n\r\n",
        "X-Message-ID: <not@x>\r\nSubject: s\r\n\r\nMessage-ID: <body@x>\r\n",
        "Message-ID:\r\n\t<folded@x>\r\n  \r\n\r\n",
        "Message ID: <space-in-name@x>\r\n\r\n",
        "Subject: a\r\n\r\n",
        "Message-ID: <no-blank-line@x>",
        "Message-ID: <é@x>\r\n\r\n",
    ])
    func messageIDIsWhatAFullParseFinds(message: String) {
        let bytes = Array(message.utf8)
        var scanner = MessageIDScanner()
        for chunk in bytes.chunked(5) { scanner.consume(chunk) }
        scanner.messageEnded()
        let parsed = MessageHeader.parse(bytes).header["Message-ID"].map { String(MessageIDScanner.trimmed($0)) }
        #expect(scanner.messageID == parsed)
    }

    @Test func aHeaderPastTheBoundIsReadUpToTheBound() {
        var scanner = MessageIDScanner()
        let filler = Array(repeating: UInt8(ascii: "a"), count: MessageIDScanner.headerLimit)
        scanner.consume(Array("Message-ID: <early@x>\r\nX-Long: ".utf8) + filler)
        #expect(scanner.messageID == "<early@x>")
        var late = MessageIDScanner()
        late.consume(Array("X-Long: ".utf8) + filler + Array("\r\nMessage-ID: <late@x>\r\n\r\n".utf8))
        late.messageEnded()
        #expect(late.messageID == nil)
    }

    /// The hand-written trim removes what Foundation's `.whitespaces` trim removes, and nothing else.
    @Test(arguments: [
        "<a@b>", "  <a@b>\t", "\u{A0}<a@b>\u{3000}", "\u{2009}\t \u{202F}", "", " ", "<a b@c>",
        "\r\n<a@b>\r\n", "\u{200B}<a@b>", "é<a@b>é", " \u{1F600} ",
    ])
    func messageIDIsTrimmedAsFoundationTrimsWhitespace(text: String) {
        #expect(String(MessageIDScanner.trimmed(text)) == text.trimmingCharacters(in: .whitespaces))
    }

    static let refusals: [(code: Int, enhanced: (Int, Int, Int), verb: String, reason: String)] = [
        (550, (5, 1, 1), "RCPT", "unknown recipient"),
        (554, (5, 7, 1), "RCPT", "relay denied"),
        (553, (5, 7, 1), "MAIL", "sender not authorized"),
        (535, (5, 7, 8), "AUTH", "bad credentials"),
        (552, (5, 3, 4), "DATA", "message too big"),
        (530, (5, 7, 0), "MAIL", "authentication required"),
        (554, (5, 4, 6), "DATA", "routing loop"),
        (500, (5, 5, 2), "DATA", "protocol error"),
    ]

    @Test(arguments: 0..<refusals.count)
    func refusalsAreNamed(index: Int) throws {
        let (code, enhanced, verb, reason) = Self.refusals[index]
        let command: SMTPCommand =
            switch verb {
            case "RCPT": .rcptTo(.postmaster, SMTPRecipientParameters())
            case "MAIL": .mailFrom(.null, SMTPMailParameters())
            case "AUTH": .auth(mechanism: "PLAIN", initialResponse: nil)
            default: .data
            }
        let reply = SMTPReply(code: code, EnhancedStatusCode(enhanced.0, enhanced.1, enhanced.2), "x")
        #expect(SMTPLogLines.reason(for: reply, command: command) == reason)
    }
}

extension Collection {
    fileprivate func chunked(_ size: Int) -> [[Element]] {
        var chunks: [[Element]] = []
        var index = startIndex
        while index != endIndex {
            let end = self.index(index, offsetBy: size, limitedBy: endIndex) ?? endIndex
            chunks.append(Array(self[index..<end]))
            index = end
        }
        return chunks
    }
}

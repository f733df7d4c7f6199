import MailTestSupport
import Testing

@testable import IMAPServer

@Suite(.offThePool) struct FramerTests {
    @Test func splitsPipelinedLines() {
        var framer = IMAPFramer()
        #expect(
            feedAll(&framer, "a NOOP\r\nb CAPABILITY\r\n") == [
                .command(bytes("a NOOP")), .command(bytes("b CAPABILITY")),
            ]
        )
    }

    @Test func waitsForTheRestOfALine() {
        var framer = IMAPFramer()
        #expect(feedAll(&framer, "a NO") == [])
        #expect(feedAll(&framer, "OP\r\n") == [.command(bytes("a NOOP"))])
    }

    @Test func acceptsBareLF() {
        var framer = IMAPFramer()
        #expect(feedAll(&framer, "a NOOP\n") == [.command(bytes("a NOOP"))])
    }

    @Test func synchronizingLiteralAsksForContinuation() {
        var framer = IMAPFramer()
        #expect(feedAll(&framer, "a LOGIN {3}\r\n") == [.continuationRequest])
        #expect(feedAll(&framer, "bob {2}\r\n") == [.continuationRequest])
        #expect(feedAll(&framer, "pw\r\n") == [.command(bytes("a LOGIN {3}\r\nbob {2}\r\npw"))])
    }

    @Test func nonSynchronizingLiteralReadsOn() {
        var framer = IMAPFramer()
        #expect(
            feedAll(&framer, "a LOGIN {3+}\r\nbob {2+}\r\npw\r\n") == [
                .command(bytes("a LOGIN {3+}\r\nbob {2+}\r\npw"))
            ]
        )
    }

    @Test func literalMayContainCRLFAndBraces() {
        var framer = IMAPFramer()
        let events = feedAll(&framer, "a APPEND INBOX {9+}\r\nx\r\n{1}\r\ny\r\n")
        #expect(events == [.command(bytes("a APPEND INBOX {9+}\r\nx\r\n{1}\r\ny"))])
    }

    @Test func literalArrivingByteByByte() {
        var framer = IMAPFramer()
        var events: [IMAPFramer.Event] = []
        for byte in bytes("a LOGIN {3+}\r\nbob pw\r\n") { events += framer.feed([byte]) }
        #expect(events == [.command(bytes("a LOGIN {3+}\r\nbob pw"))])
    }

    @Test func lineLengthLimitAtNAndNPlusOne() {
        var framer = IMAPFramer(limits: .init(maxLineLength: 10))
        #expect(feedAll(&framer, "a 34567890\r\n") == [.command(bytes("a 34567890"))])
        #expect(feedAll(&framer, "b 345678901\r\n") == [.error(tag: "b", .lineTooLong)])
        #expect(feedAll(&framer, "c NOOP\r\n") == [.command(bytes("c NOOP"))])
    }

    @Test func overlongLineWithoutEndIsRefusedWithoutBuffering() {
        var framer = IMAPFramer(limits: .init(maxLineLength: 10))
        #expect(feedAll(&framer, "t " + String(repeating: "x", count: 20)) == [.error(tag: "t", .lineTooLong)])
        #expect(feedAll(&framer, String(repeating: "x", count: 50)) == [])
        #expect(feedAll(&framer, "xx\r\nd NOOP\r\n") == [.command(bytes("d NOOP"))])
    }

    @Test func literalLimitAtNAndNPlusOne() {
        var framer = IMAPFramer(limits: .init(maxLiteralSize: 4))
        #expect(feedAll(&framer, "a LOGIN {4}\r\n") == [.continuationRequest])
        #expect(feedAll(&framer, "user x\r\n") == [.command(bytes("a LOGIN {4}\r\nuser x"))])
        #expect(feedAll(&framer, "b LOGIN {5}\r\n") == [.error(tag: "b", .literalTooLarge)])
        #expect(feedAll(&framer, "c NOOP\r\n") == [.command(bytes("c NOOP"))])
    }

    @Test func oversizeNonSynchronizingLiteralIsSkipped() {
        var framer = IMAPFramer(limits: .init(maxLiteralSize: 4))
        #expect(feedAll(&framer, "b LOGIN {5+}\r\n") == [.error(tag: "b", .literalTooLarge)])
        #expect(feedAll(&framer, "12345 pw\r\nc NOOP\r\n") == [.command(bytes("c NOOP"))])
    }

    @Test func appendUsesAppendLimit() {
        var framer = IMAPFramer(limits: .init(maxLiteralSize: 4, appendLimit: 8))
        #expect(feedAll(&framer, "a APPEND INBOX {8}\r\n") == [.continuationRequest])
        #expect(feedAll(&framer, "12345678\r\n") == [.command(bytes("a APPEND INBOX {8}\r\n12345678"))])
        #expect(feedAll(&framer, "b APPEND INBOX (\\Seen) {9}\r\n") == [.error(tag: "b", .messageTooLarge)])
    }

    @Test func resetDropsBufferedInput() {
        var framer = IMAPFramer()
        #expect(feedAll(&framer, "a STARTTLS\r\nb LOG") == [.command(bytes("a STARTTLS"))])
        framer.reset()
        #expect(feedAll(&framer, "c NOOP\r\n") == [.command(bytes("c NOOP"))])
    }

    @Test func largeAppendLiteralIsStreamedWithAMarker() {
        var framer = IMAPFramer(limits: .init(appendLimit: 100, streamThreshold: 4))
        #expect(feedAll(&framer, "a APPEND INBOX {6}\r\n") == [.continuationRequest])
        #expect(feedAll(&framer, "abc") == [.streamedLiteralChunk(id: 1, bytes("abc"))])
        #expect(
            feedAll(&framer, "def\r\n") == [
                .streamedLiteralChunk(id: 1, bytes("def")), .streamedLiteralEnd(id: 1),
                .command(bytes("a APPEND INBOX {1*}\r\n")),
            ]
        )
        #expect(
            command("a APPEND INBOX {1*}\r\n")
                == .append(
                    {
                        var append = AppendCommand(mailbox: IMAPMailboxName("INBOX"), message: [])
                        append.streamedLiteralID = 1
                        return append
                    }()
                )
        )
        // At the threshold the literal is buffered as usual.
        #expect(feedAll(&framer, "b APPEND INBOX {4+}\r\nabcd\r\n") == [.command(bytes("b APPEND INBOX {4+}\r\nabcd"))])
        // A client cannot forge the marker: a line ending in "*}" announces no literal.
        #expect(badReason("a APPEND INBOX {1*}") != nil)
    }
}

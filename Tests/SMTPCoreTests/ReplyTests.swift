import NIOCore
import SMTPCore
import Testing

@Suite struct ReplyTests {
    @Test func singleLineWithEnhancedCode() {
        let reply = SMTPReply(code: 250, EnhancedStatusCode(2, 1, 0), "Sender OK")
        #expect(String(buffer: reply.encoded) == "250 2.1.0 Sender OK\r\n")
    }

    /// RFC 5321 4.5.3.1.5: 512 octets a line with CRLF; text that fits exactly is kept, one more is cut.
    @Test func linesAreCutToTheReplyLineLimit() {
        let code = EnhancedStatusCode(5, 5, 4)
        let room = 512 - "555 5.5.4 ".utf8.count - 2
        let fits = SMTPReply(code: 555, code, String(repeating: "a", count: room))
        #expect(fits.lines == [String(repeating: "a", count: room)])
        #expect(String(buffer: fits.encoded).utf8.count == 512)
        let over = SMTPReply(code: 555, code, String(repeating: "a", count: room + 1))
        #expect(over.lines == [String(repeating: "a", count: room - 3) + "..."])
        #expect(String(buffer: over.encoded).utf8.count == 512)
        let plain = SMTPReply(code: 250, nil, lines: ["ok", String(repeating: "é", count: 400)])
        #expect(plain.lines[0] == "ok")
        #expect(plain.lines[1].utf8.count <= 512 - 6 && plain.lines[1].hasSuffix("..."))
    }

    /// The numbers written digit by digit read as their decimal spelling, whatever their width.
    @Test(arguments: [0, 1, 9, 10, 99, 100, 250, 554, 999, 1000, 12_345, -1, -250, Int.max, Int.min])
    func numbersAreWrittenInDecimal(number: Int) {
        let reply = SMTPReply(code: number, EnhancedStatusCode(number, number, number), "x")
        #expect(String(buffer: reply.encoded) == "\(number) \(number).\(number).\(number) x\r\n")
    }

    @Test func multiLineRepeatsCodeAndEnhancedCode() {
        let reply = SMTPReply(code: 214, EnhancedStatusCode(2, 0, 0), lines: ["one", "two", "three"])
        #expect(String(buffer: reply.encoded) == "214-2.0.0 one\r\n214-2.0.0 two\r\n214 2.0.0 three\r\n")
    }

    @Test func replyWithoutTextOrEnhancedCode() {
        #expect(String(buffer: SMTPReply(code: 334, nil, "").encoded) == "334 \r\n")
        #expect(String(buffer: SMTPReply(code: 220, nil, lines: []).encoded) == "220 \r\n")
    }

    @Test func classes() {
        #expect(SMTPReply(code: 250, nil, "").isPositiveCompletion)
        #expect(SMTPReply(code: 354, nil, "").isPositiveIntermediate)
        #expect(SMTPReply(code: 451, nil, "").isTransientFailure)
        #expect(SMTPReply(code: 550, nil, "").isPermanentFailure)
    }

    @Test func parsesMultiLineEHLOReply() throws {
        var parser = SMTPReplyParser()
        #expect(try parser.parse(line: Array("250-mx.example greets you".utf8)) == nil)
        #expect(try parser.parse(line: Array("250-PIPELINING".utf8)) == nil)
        let reply = try parser.parse(line: Array("250 SIZE 1000".utf8))
        #expect(reply == SMTPReply(code: 250, nil, lines: ["mx.example greets you", "PIPELINING", "SIZE 1000"]))
    }

    @Test func parsesEnhancedCode() throws {
        var parser = SMTPReplyParser()
        let reply = try parser.parse(line: Array("550 5.1.1 No such user here".utf8))
        #expect(reply == SMTPReply(code: 550, EnhancedStatusCode(5, 1, 1), "No such user here"))
        // A class that does not match the reply code is text, not an enhanced code.
        #expect(try parser.parse(line: Array("250 5.1.1 odd".utf8)) == SMTPReply(code: 250, nil, "5.1.1 odd"))
        #expect(try parser.parse(line: Array("250".utf8)) == SMTPReply(code: 250, nil, ""))
    }

    @Test func encodedRepliesParseBack() throws {
        let reply = SMTPReply(code: 250, EnhancedStatusCode(2, 0, 0), lines: ["a", "b"])
        var parser = SMTPReplyParser()
        var bytes = reply.encoded
        var result: SMTPReply?
        while let line = bytes.readString(
            length: (bytes.readableBytesView.firstIndex(of: 10) ?? 0) - bytes.readerIndex + 1
        ) {
            result = try parser.parse(line: Array(line.utf8.dropLast(2)))
            if bytes.readableBytes == 0 { break }
        }
        #expect(result == reply)
    }

    @Test func malformedReplies() {
        var parser = SMTPReplyParser()
        #expect(throws: SMTPReplyParseError.malformedLine("hello")) { try parser.parse(line: Array("hello".utf8)) }
        #expect(throws: SMTPReplyParseError.malformedLine("250*x")) { try parser.parse(line: Array("250*x".utf8)) }
        #expect(throws: Never.self) { try parser.parse(line: Array("250-first".utf8)) }
        #expect(throws: SMTPReplyParseError.inconsistentCode(expected: 250, found: 251)) {
            try parser.parse(line: Array("251 second".utf8))
        }
    }

    @Test func enhancedStatusCodeGrammar() {
        #expect(EnhancedStatusCode(parsing: Array("4.7.0".utf8)) == EnhancedStatusCode(4, 7, 0))
        #expect(EnhancedStatusCode(parsing: Array("5.5.123".utf8)) == EnhancedStatusCode(5, 5, 123))
        #expect(EnhancedStatusCode(parsing: Array("3.0.0".utf8)) == nil)
        #expect(EnhancedStatusCode(parsing: Array("5.5".utf8)) == nil)
        #expect(EnhancedStatusCode(parsing: Array("5.5.1234".utf8)) == nil)
    }
}

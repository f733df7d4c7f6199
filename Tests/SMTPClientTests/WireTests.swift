import NIOCore
import Testing

@testable import SMTPClient

/// Reply parsing, command lines, dot-stuffing and EHLO capabilities.
struct WireTests {
    @Test func multiLineReplyKeepsEveryLine() throws {
        var assembler = ReplyAssembler()
        #expect(try assembler.feed(line: Array("250-server.test hello".utf8)) == nil)
        #expect(try assembler.feed(line: Array("250-PIPELINING".utf8)) == nil)
        #expect(try assembler.feed(line: Array("250 SIZE 1000".utf8)) == SMTPReply(code: 250, lines: ["server.test hello", "PIPELINING", "SIZE 1000"]))
    }

    @Test func bareCodeAndEnhancedStatus() throws {
        var assembler = ReplyAssembler()
        #expect(try assembler.feed(line: Array("250".utf8)) == SMTPReply(250, ""))
        #expect(try assembler.feed(line: Array("550 5.1.1 unknown user".utf8))?.enhancedStatusCode == "5.1.1")
        #expect(SMTPReply(250, "ok").enhancedStatusCode == nil)
    }

    @Test func malformedReplies() {
        var assembler = ReplyAssembler()
        #expect(throws: SMTPReplyParsingError.malformedLine("hello")) { try assembler.feed(line: Array("hello".utf8)) }
        #expect(throws: SMTPReplyParsingError.malformedLine("250_x")) { try assembler.feed(line: Array("250_x".utf8)) }
        var mixed = ReplyAssembler()
        _ = try? mixed.feed(line: Array("250-a".utf8))
        #expect(throws: SMTPReplyParsingError.inconsistentCode(expected: 250, found: 251)) { try mixed.feed(line: Array("251 b".utf8)) }
    }

    @Test func replyLineCountLimitAtNAndNPlusOne() throws {
        var atLimit = ReplyAssembler()
        for _ in 1..<SMTPClientDefaults.maximumReplyLines { _ = try atLimit.feed(line: Array("250-x".utf8)) }
        #expect(try atLimit.feed(line: Array("250 x".utf8))?.lines.count == SMTPClientDefaults.maximumReplyLines)
        var over = ReplyAssembler()
        for _ in 1...SMTPClientDefaults.maximumReplyLines { _ = try over.feed(line: Array("250-x".utf8)) }
        #expect(throws: SMTPReplyParsingError.tooManyLines) { try over.feed(line: Array("250 x".utf8)) }
    }

    @Test func commandLines() {
        #expect(ClientCommand.mailFrom("a@x", parameters: ["SIZE=10", "BODY=8BITMIME"]).line == "MAIL FROM:<a@x> SIZE=10 BODY=8BITMIME\r\n")
        #expect(ClientCommand.mailFrom("", parameters: []).line == "MAIL FROM:<>\r\n")
        #expect(ClientCommand.rcptTo("b@y").line == "RCPT TO:<b@y>\r\n")
        #expect(ClientCommand.auth(mechanism: "PLAIN", initialResponse: "AGEAYg==").redactedForLog == "AUTH PLAIN <redacted>")
        #expect(ClientCommand.authResponse("c2VjcmV0").redactedForLog == "<redacted>")
    }

    @Test func dotStuffingAndLineEnds() {
        #expect(DotStuffing.encode(Array("a\r\n.b\r\n..c\r\n".utf8)) == ByteBuffer(string: "a\r\n..b\r\n...c\r\n.\r\n"))
        #expect(DotStuffing.encode(Array(".\nx".utf8)) == ByteBuffer(string: "..\r\nx\r\n.\r\n"))
        #expect(DotStuffing.encode(Array("a\rb\r".utf8)) == ByteBuffer(string: "a\r\nb\r\n.\r\n"))
        #expect(DotStuffing.encode([UInt8]()) == ByteBuffer(string: ".\r\n"))
    }

    @Test func capabilitiesFromEHLO() {
        let reply = SMTPReply(code: 250, lines: ["mx.test", "PIPELINING", "SIZE 35882577", "8BITMIME", "AUTH LOGIN PLAIN", "STARTTLS", "SMTPUTF8"])
        let capabilities = ServerCapabilities(ehloReply: reply)
        #expect(capabilities.pipelining && capabilities.eightBitMIME && capabilities.startTLS && capabilities.smtpUTF8)
        #expect(capabilities.maximumMessageSize == 35_882_577)
        #expect(capabilities.authenticationMechanisms == ["LOGIN", "PLAIN"])
        #expect(ServerCapabilities(ehloReply: SMTPReply(code: 250, lines: ["x", "SIZE 0"])).maximumMessageSize == nil)
    }

    @Test func headerSectionDecidesSMTPUTF8() {
        let utf8Header = SMTPConnection.envelope(from: "a@x.test", recipients: ["b@x.test"], message: Array("Subject: Jos\u{E9}\r\n\r\nbody\r\n".utf8))
        #expect(utf8Header.needsSMTPUTF8 && utf8Header.needsEightBit)
        let utf8Body = SMTPConnection.envelope(from: "a@x.test", recipients: ["b@x.test"], message: Array("Subject: x\r\n\r\nJos\u{E9}\r\n".utf8))
        #expect(!utf8Body.needsSMTPUTF8 && utf8Body.needsEightBit)
    }
}

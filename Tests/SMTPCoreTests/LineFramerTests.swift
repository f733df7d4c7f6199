import NIOCore
import SMTPCore
import Testing

@Suite struct LineFramerTests {
    private func lines(_ input: [String], maximum: Int = 1000) -> [SMTPLineFramer.Frame] {
        var framer = SMTPLineFramer(maximumLineLength: maximum)
        var result: [SMTPLineFramer.Frame] = []
        for piece in input {
            framer.append(ByteBuffer(string: piece))
            while let frame = framer.nextLine() { result.append(frame) }
        }
        return result
    }

    @Test func onlyCRLFEndsALine() {
        #expect(lines(["a\r\nb\nc\rd\r\n"]) == [.line(ByteBuffer(string: "a")), .line(ByteBuffer(string: "b\nc\rd"))])
        #expect(lines(["x\n.\n"]) == [])
    }

    @Test func crlfSplitAcrossReads() {
        #expect(
            lines(["abc\r", "\ndef", "\r\n"]) == [.line(ByteBuffer(string: "abc")), .line(ByteBuffer(string: "def"))]
        )
    }

    /// RFC 5321 4.5.3.1.6: 1000 octets with the CRLF are accepted, 1001 are not.
    @Test func textLineLimitAtNAndNPlusOne() {
        let n = String(repeating: "x", count: 998)
        #expect(lines([n + "\r\n"]) == [.line(ByteBuffer(string: n))])
        #expect(lines([n + "x\r\nnext\r\n"]) == [.tooLong, .line(ByteBuffer(string: "next"))])
    }

    @Test func overlongLineIsDiscardedAcrossReads() {
        let chunk = String(repeating: "y", count: 700)
        #expect(lines([chunk, chunk, chunk + "\r", "\nok\r\n"]) == [.tooLong, .line(ByteBuffer(string: "ok"))])
    }

    @Test func rawBytesForChunks() {
        var framer = SMTPLineFramer()
        framer.append(ByteBuffer(string: "12345\r\nQUIT\r\n"))
        #expect(framer.nextBytes(maximum: 3) == ByteBuffer(string: "123"))
        #expect(framer.nextBytes(maximum: 10) == ByteBuffer(string: "45\r\nQUIT\r\n"))
        #expect(framer.nextBytes(maximum: 10) == nil)
    }

    @Test func discardingBufferedInput() {
        var framer = SMTPLineFramer()
        framer.append(ByteBuffer(string: "STARTTLS\r\nMAIL FROM:<x@y>\r\n"))
        #expect(framer.nextLine() == .line(ByteBuffer(string: "STARTTLS")))
        framer.discardBuffered()
        #expect(framer.bufferedByteCount == 0)
        #expect(framer.nextLine() == nil)
    }
}

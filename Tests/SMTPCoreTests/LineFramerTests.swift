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

    @Test func plainLinesStopBeforeADotLineAnOverlongLineOrAPartialOne() {
        var framer = SMTPLineFramer(maximumLineLength: 10)
        framer.append(ByteBuffer(string: "ab\r\n\r\nc\nd\re\r\n.x\r\nafter\r\n"))
        // A bare LF and a bare CR are data inside a line (RFC 5321 2.3.8).
        #expect(framer.nextPlainLines() == ByteBuffer(string: "ab\r\n\r\nc\nd\re\r\n"))
        #expect(framer.nextPlainLines() == nil)
        #expect(framer.nextLine() == .line(ByteBuffer(string: ".x")))
        #expect(framer.nextPlainLines() == ByteBuffer(string: "after\r\n"))

        framer.append(ByteBuffer(string: "12345678\r\n123456789\r\nok\r\npart"))
        #expect(framer.nextPlainLines() == ByteBuffer(string: "12345678\r\n"))
        #expect(framer.nextPlainLines() == nil)
        #expect(framer.nextLine() == .tooLong)
        #expect(framer.nextPlainLines() == ByteBuffer(string: "ok\r\n"))
        #expect(framer.nextPlainLines() == nil)
        framer.append(ByteBuffer(string: "\r"))
        #expect(framer.nextPlainLines() == nil)
        framer.append(ByteBuffer(string: "\n"))
        #expect(framer.nextPlainLines() == ByteBuffer(string: "part\r\n"))
    }

    /// Taking plain lines in blocks, and the rest line by line, frames any input exactly as taking every
    /// line alone does: the same lines, the same over-long ones, whatever the reads' boundaries.
    @Test func plainLinesInBlocksFrameAsLineByLine() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a", "b c", ".", "..", "\r", "\n", "\r\n", "\r\n", "\r\n.", "\r\n.\r\n", "xxxxxxxx"]
        for _ in 0..<300 {
            let input = (0..<Int.random(in: 0..<60, using: &generator)).map { _ in
                pieces.randomElement(using: &generator)!
            }.joined()
            let bytes = Array(input.utf8)
            var reads: [ByteBuffer] = []
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + Int.random(in: 1...12, using: &generator))
                reads.append(ByteBuffer(bytes: bytes[start..<end]))
                start = end
            }
            var oneByOne = SMTPLineFramer(maximumLineLength: 12)
            var inBlocks = SMTPLineFramer(maximumLineLength: 12)
            var expected: [SMTPLineFramer.Frame] = []
            var framed: [SMTPLineFramer.Frame] = []
            for read in reads {
                oneByOne.append(read)
                while let frame = oneByOne.nextLine() { expected.append(frame) }
                inBlocks.append(read)
                while true {
                    if var block = inBlocks.nextPlainLines() {
                        var lines = SMTPLineFramer(maximumLineLength: 12)
                        lines.append(block)
                        while let line = lines.nextLine() {
                            // A block holds no line the session must unstuff, end on or refuse.
                            guard case .line(let text) = line else {
                                Issue.record("an over-long line in a block")
                                continue
                            }
                            #expect(text.readableBytesView.first != UInt8(ascii: "."))
                            framed.append(line)
                        }
                        #expect(lines.bufferedByteCount == 0)
                        block.moveReaderIndex(to: block.writerIndex)
                    } else if let frame = inBlocks.nextLine() {
                        framed.append(frame)
                    } else {
                        break
                    }
                }
            }
            #expect(framed == expected, "input \(input.debugDescription)")
        }
    }
}

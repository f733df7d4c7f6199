import NIOCore
import SMTPCore
import Testing

@Suite struct DotStuffingTests {
    private func stuff(_ chunks: [String]) -> String {
        var encoder = DotStuffingEncoder()
        var output = ByteBuffer()
        for chunk in chunks { encoder.encode(ByteBuffer(string: chunk), into: &output) }
        encoder.finish(into: &output)
        return String(buffer: output)
    }

    @Test func leadingDotsAreDoubled() {
        #expect(stuff([".a\r\nb\r\n..c\r\n"]) == "..a\r\nb\r\n...c\r\n.\r\n")
    }

    @Test func chunkBoundariesAnywhere() {
        #expect(stuff(["a\r", "\n", ".b\r\n"]) == "a\r\n..b\r\n.\r\n")
        #expect(stuff(["a\r\n", ".", "\r\n"]) == "a\r\n..\r\n.\r\n")
    }

    @Test func bareLineFeedDoesNotStartALine() {
        #expect(stuff(["a\n.b\r\n"]) == "a\n.b\r\n.\r\n")
    }

    @Test func missingFinalCRLFIsAdded() {
        #expect(stuff(["no newline"]) == "no newline\r\n.\r\n")
        #expect(stuff([]) == ".\r\n")
    }

    @Test func unstuffing() {
        #expect(DotStuffing.unstuff(ByteBuffer(string: ".")) == .endOfData)
        #expect(DotStuffing.unstuff(ByteBuffer(string: "..")) == .text(ByteBuffer(string: ".")))
        #expect(DotStuffing.unstuff(ByteBuffer(string: ".x")) == .text(ByteBuffer(string: "x")))
        #expect(DotStuffing.unstuff(ByteBuffer(string: "x.")) == .text(ByteBuffer(string: "x.")))
        #expect(DotStuffing.unstuff(ByteBuffer()) == .text(ByteBuffer()))
    }
}

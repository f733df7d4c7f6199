import SMTPCore
import Testing

/// Arbitrary input never crashes the parser; each refusal carries a 5xx reply a server can send.
@Suite struct ParserRobustnessTests {
    private struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    @Test func randomLinesParseOrAreRefusedWithA5xx() {
        var random = Generator(state: 42)
        let verbs = ["MAIL FROM:", "RCPT TO:", "EHLO ", "BDAT ", "AUTH ", "VRFY ", "", "DATA", "mail from:<"]
        let alphabet = Array("<>@.:\"\\ =,[]abcAZ09+-_\u{0}\r\n\u{7F}".utf8) + [0xC3, 0xA9, 0xFF, 0x80]
        var refusals = Set<Int>()
        var parsed = 0
        for _ in 0..<20000 {
            var line = Array(verbs[Int(random.next() % UInt64(verbs.count))].utf8)
            for _ in 0..<(random.next() % 40) { line.append(alphabet[Int(random.next() % UInt64(alphabet.count))]) }
            do {
                _ = try SMTPCommand(parsing: line)
                parsed += 1
            } catch {
                refusals.insert(error.reply.code)
            }
        }
        #expect(refusals.isSubset(of: [500, 501, 555]))
        #expect(parsed > 0)
    }

    @Test func randomReplyLinesNeverCrashTheReplyParser() {
        var random = Generator(state: 7)
        var parser = SMTPReplyParser()
        var replies = 0
        for _ in 0..<20000 {
            let code = Array(String(200 + random.next() % 400).utf8)
            var line = random.next() % 5 == 0 ? [] : code
            line.append([UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "x")][Int(random.next() % 3)])
            for _ in 0..<(random.next() % 20) { line.append(UInt8(truncatingIfNeeded: random.next())) }
            if (try? parser.parse(line: line)).flatMap({ $0 }) != nil { replies += 1 }
        }
        #expect(replies > 0)
    }
}

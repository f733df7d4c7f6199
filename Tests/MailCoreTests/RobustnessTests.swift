import MailTestSupport
import Testing

@testable import MailCore

/// Runs every parser over `bytes` and checks the results stay inside the input.
private func exerciseAllParsers(_ bytes: [UInt8]) -> Bool {
    var ok = true
    let parsed = MessageHeader.parse(bytes)
    ok = ok && parsed.bodyStart >= 0 && parsed.bodyStart <= bytes.count
    for field in parsed.header {
        _ = field.decodedValue
        _ = Address.parseList(field.unfoldedValue)
        _ = MessageDate.parse(field.unfoldedValue)
        _ = ContentType.parse(field.unfoldedValue[...])
        _ = ContentDisposition.parse(field.unfoldedValue[...])
        ok = ok && field.range.upperBound <= bytes.count
    }
    let root = MIMEPart.parse(bytes)
    for part in [root] + root.descendants {
        ok = ok && part.headerRange.lowerBound <= part.bodyRange.lowerBound && part.bodyRange.upperBound <= bytes.count
        ok = ok && part.bodyLineCount >= 0 && part.bareLineFeedCount <= part.bodyLineCount
        _ = part.decodedBody(in: bytes)
        _ = part.filename
    }
    for path in [[1], [1, 1], [2, 1, 1], [3, 2]] { _ = root.part(at: path) }
    _ = Base64.decode(bytes)
    _ = QuotedPrintable.decode(bytes)
    _ = EncodedWord.decode(bytes)
    _ = MIMEParameters.parse(bytes[...])
    return ok
}

@Test func garbageTruncatedAndMutatedMessagesNeverBreakTheParsers() {
    var generator = SeededGenerator(seed: 20_261_126)
    let corpus = MessageCorpus.all.map(\.bytes)
    let interesting = Array("\r\n--:;<>@\"()=?_ \t\\[]*'%".utf8) + [0x00, 0xFF, 0xC3]
    var failures = 0
    for round in 0..<3000 {
        let source = corpus[round % corpus.count]
        var bytes: [UInt8]
        switch round % 4 {
        case 0:  // pure garbage, biased to structural bytes
            bytes = (0..<Int.random(in: 0...600, using: &generator)).map { _ in
                Bool.random(using: &generator)
                    ? (interesting.randomElement(using: &generator) ?? 0)
                    : UInt8.random(in: 0...255, using: &generator)
            }
        case 1:  // truncated anywhere
            bytes = Array(source.prefix(Int.random(in: 0...source.count, using: &generator)))
        default:  // mutated: overwrite, insert and delete bytes
            bytes = source
            for _ in 0..<Int.random(in: 1...20, using: &generator) where !bytes.isEmpty {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                let byte = interesting.randomElement(using: &generator) ?? 0
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = byte
                case 1: bytes.insert(byte, at: position)
                default: bytes.remove(at: position)
                }
            }
        }
        if !exerciseAllParsers(bytes) { failures += 1 }
    }
    #expect(failures == 0)
}

@Test func pathologicalInputsStayBounded() {
    let manyBoundaries = Array(
        ("Content-Type: multipart/mixed; boundary=a\r\n\r\n" + String(repeating: "--a\r\n", count: 20_000)).utf8
    )
    let root = MIMEPart.parse(manyBoundaries)
    #expect(root.children.count <= MailCoreDefaults.maxMultipartChildren)
    let nestedMessages = Array((String(repeating: "Content-Type: message/rfc822\r\n\r\n", count: 5_000) + "end").utf8)
    #expect(MIMEPart.parse(nestedMessages).descendants.count == MailCoreDefaults.maxMIMEDepth)
    let comments = String(repeating: "(", count: 50_000)
    #expect(Address.parseList(comments).isEmpty)
    #expect(MessageDate.parse(comments) == nil)
    let words = String(repeating: "=?utf-8?q?a?= ", count: 20_000)
    #expect(EncodedWord.decode(words) == String(repeating: "a", count: 20_000) + " ")
    #expect(exerciseAllParsers(Array(repeating: ASCII.lf, count: 100_000)))
    #expect(exerciseAllParsers(Array(repeating: 0x20, count: 100_000)))
}

@Test func multipartChildLimitIsEnforcedAtNAndNPlusOne() {
    func message(parts: Int) -> [UInt8] {
        Array(
            ("Content-Type: multipart/mixed; boundary=a\r\n\r\n" + String(repeating: "--a\r\n\r\nx\r\n", count: parts)
                + "--a--\r\n").utf8
        )
    }
    let limit = MailCoreDefaults.maxMultipartChildren
    #expect(MIMEPart.parse(message(parts: limit)).children.count == limit)
    #expect(MIMEPart.parse(message(parts: limit + 1)).children.count == limit)
}

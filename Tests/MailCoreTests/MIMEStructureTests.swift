import MailTestSupport
import Testing

@testable import MailCore

/// 146 bytes; offsets computed independently of the parser.
private let handMessage: [UInt8] = Array(
    ("Subject: Hi\r\n" + "Content-Type: multipart/mixed; boundary=XX\r\n" + "\r\n" + "preamble\r\n" + "--XX\r\n"
        + "Content-Type: text/plain\r\n" + "\r\n" + "one\r\n" + "two\r\n" + "--XX\r\n" + "\r\n" + "three\r\n"
        + "--XX--\r\n" + "epilogue\r\n").utf8
)

@Test func multipartRangesAndLineCountsAreExact() throws {
    let root = MIMEPart.parse(handMessage)
    #expect(root.headerRange == 0..<59)
    #expect(root.bodyRange == 59..<146)
    #expect(root.bodyLineCount == 11)
    #expect(root.contentType.mimeType == "multipart/mixed")
    try #require(root.children.count == 2)
    let first = root.children[0]
    #expect(first.headerRange == 75..<103)
    #expect(first.bodyRange == 103..<111)
    // "one\r\ntwo": the CRLF before the boundary belongs to the delimiter, so one line feed, one line.
    #expect(first.bodyLineCount == 1)
    #expect(first.bodySize == 8)
    let second = root.children[1]
    #expect(second.headerRange == 119..<121)
    #expect(second.bodyRange == 121..<126)
    #expect(second.bodyLineCount == 0)
    #expect(second.contentType == ContentType.textPlain)
}

@Test func nestedAlternativeAndAttachmentsFormTheExpectedTree() throws {
    let message = MessageCorpus.alternativeWithAttachments
    let root = MIMEPart.parse(message)
    #expect(root.children.map(\.contentType.mimeType) == ["multipart/alternative", "application/pdf", "image/png"])
    #expect(root.children[0].children.map(\.contentType.mimeType) == ["text/plain", "text/html"])
    #expect(root.children[0].children[1].text(in: message) == "<p>See the <b>report</b>.</p>")
    #expect(root.children[1].decodedBody(in: message) == MessageCorpus.attachedPDF)
    #expect(root.children[1].filename == "report.pdf")
    #expect(root.children[2].decodedBody(in: message) == MessageCorpus.attachedPNG)
    #expect(root.children[2].contentID == "<pixel@example.org>")
    #expect(root.children[2].contentDisposition?.type == "inline")
}

@Test func encapsulatedMessageHasRangesInTheWholeMessage() throws {
    let message = MessageCorpus.nestedRFC822
    let root = MIMEPart.parse(message)
    let forwarded = try #require(root.children.last)
    #expect(forwarded.contentType.mimeType == "message/rfc822")
    #expect(forwarded.contentDescription == "Minutes")
    let inner = try #require(forwarded.encapsulatedMessage)
    #expect(inner.headerRange.lowerBound == forwarded.bodyRange.lowerBound)
    #expect(inner.bodyRange.upperBound == forwarded.bodyRange.upperBound)
    #expect(inner.header["Subject"] == "Minutes")
    #expect(inner.children.count == 2)
    #expect(String(decoding: inner.children[0].rawBody(in: message), as: UTF8.self) == "Minutes: nothing happened.")
    // Line feeds only: the CRLF before the closing boundary belongs to the delimiter.
    #expect(forwarded.bodyLineCount == 15)
}

@Test func sectionPathsFollowIMAPNumbering() throws {
    let message = MessageCorpus.nestedRFC822
    let root = MIMEPart.parse(message)
    #expect(root.part(at: [1])?.text(in: message) == "Forwarding the minutes.")
    #expect(root.part(at: [2])?.contentType.mimeType == "message/rfc822")
    #expect(root.part(at: [2, 1])?.text(in: message) == "Minutes: nothing happened.")
    #expect(root.part(at: [2, 2])?.contentType.mimeType == "text/html")
    #expect(root.part(at: [2, 3]) == nil)
    #expect(root.part(at: [3]) == nil)
    #expect(root.part(at: [1, 1]) == nil)
    #expect(root.part(at: [0]) == nil)
    let plain = MIMEPart.parse(MessageCorpus.plainASCII)
    #expect(plain.part(at: [1]) == plain)
    #expect(plain.part(at: [2]) == nil)
    #expect(plain.part(at: []) == plain)
}

@Test func digestPartsDefaultToMessageRFC822() throws {
    let message = MessageCorpus.digest
    let root = MIMEPart.parse(message)
    #expect(root.children.map(\.contentType.mimeType) == ["message/rfc822", "message/rfc822"])
    #expect(root.children[1].encapsulatedMessage?.header["Subject"] == "Second")
    #expect(root.part(at: [2, 1])?.text(in: message) == "Second message.")
}

@Test func preambleEpilogueAndTransportPaddingFollowRFC2046() throws {
    let message = MessageCorpus.preambleEpilogue
    let root = MIMEPart.parse(message)
    try #require(root.children.count == 2)
    #expect(
        root.children[0].text(in: message)
            == "This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak."
    )
    #expect(
        root.children[1].text(in: message)
            == "This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n"
    )
    #expect(root.children[1].bodyLineCount == 2)
}

@Test func missingCloseDelimiterEndsTheLastPartAtTheMessageEnd() throws {
    let message = MessageCorpus.truncatedMultipart
    let root = MIMEPart.parse(message)
    try #require(root.children.count == 2)
    #expect(root.children[1].bodyRange.upperBound == message.count)
    #expect(root.children[1].text(in: message) == "second, and then the connection dropped\r\n")
}

@Test func bareLineFeedMultipartParsesAndCountsBareLineFeeds() throws {
    let message = MessageCorpus.bareLF
    let root = MIMEPart.parse(message)
    try #require(root.children.count == 1)
    #expect(root.children[0].text(in: message) == "line one\nline two")
    #expect(root.children[0].bareLineFeedCount == 1)
    #expect(root.bareLineFeedCount == root.bodyLineCount)
}

@Test func multipartWithoutBoundaryIsReadAsText() {
    let root = MIMEPart.parse(MessageCorpus.multipartWithoutBoundary)
    #expect(root.children.isEmpty)
    #expect(root.contentType == .textPlain)
}

@Test func boundaryMustStartALineAndNotBeAPrefixOfALongerOne() throws {
    let message = MessageCorpus.crlf([
        "Content-Type: multipart/mixed; boundary=ab", "", "--ab", "Content-Type: multipart/mixed; boundary=ab-c", "",
        "--ab-c", "", "inner text with --ab inside", "--ab-c--", "--ab--",
    ])
    let root = MIMEPart.parse(message)
    try #require(root.children.count == 1)
    try #require(root.children[0].children.count == 1)
    #expect(root.children[0].children[0].text(in: message) == "inner text with --ab inside")
}

@Test func rfc2231AndRFC2047FilenamesDecode() {
    #expect(MIMEPart.parse(MessageCorpus.rfc2231Filename).children.first?.filename == "résumé final.pdf")
    let quoted = MIMEPart.parse(MessageCorpus.rfc2047QuotedFilename).children.first
    #expect(quoted?.filename == "Übersicht.txt")
    #expect(quoted?.contentType.name == "Übersicht.txt")
}

@Test func singlePartAttachmentDecodes() {
    let message = MessageCorpus.singlePartAttachment
    let root = MIMEPart.parse(message)
    #expect(root.decodedBody(in: message) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    #expect(root.filename == "scan.bin")
    #expect(root.part(at: [1]) == root)
}

@Test func emptyBodyAndHeaderOnlyHaveEmptyBodies() {
    let empty = MIMEPart.parse(MessageCorpus.emptyBody)
    #expect(empty.bodySize == 0 && empty.bodyLineCount == 0)
    let headerOnly = MIMEPart.parse(MessageCorpus.headerOnly)
    #expect(headerOnly.bodyRange == MessageCorpus.headerOnly.count..<MessageCorpus.headerOnly.count)
}

@Test func nestingStopsAtTheDepthLimit() {
    let limit = MailCoreDefaults.maxMIMEDepth
    var part = MIMEPart.parse(MessageCorpus.nestedMultipart(depth: limit))
    for _ in 0..<limit { part = part.children[0] }
    #expect(part.contentType.mimeType == "text/plain" && !part.isOpaque)

    var deeper = MIMEPart.parse(MessageCorpus.nestedMultipart(depth: limit + 1))
    for _ in 0..<limit { deeper = deeper.children[0] }
    #expect(deeper.isOpaque && deeper.children.isEmpty)
    #expect(deeper.contentType == .applicationOctetStream)
}

@Test func tenThousandDeepMultipartParsesWithoutBlowingTheStack() {
    let message = MessageCorpus.nestedMultipart(depth: 10_000)
    let root = MIMEPart.parse(message)
    #expect(root.descendants.count == MailCoreDefaults.maxMIMEDepth)
    #expect(root.range == 0..<message.count)
}

@Test func contentHeadersAreExposed() {
    let message = MessageCorpus.crlf([
        "Content-Type: TEXT/Plain (comment); CharSet=\"UTF-8\"", "Content-Transfer-Encoding: Quoted-Printable",
        "Content-Language: en, de", "Content-Location: http://example.org/a", "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==",
        "", "caf=C3=A9",
    ])
    let root = MIMEPart.parse(message)
    #expect(root.contentType.mimeType == "text/plain")
    #expect(root.contentType.charset == "UTF-8")
    #expect(root.contentTransferEncoding == .quotedPrintable)
    #expect(root.contentLanguage == ["en", "de"])
    #expect(root.contentLocation == "http://example.org/a")
    #expect(root.contentMD5 == "Q2hlY2sgSW50ZWdyaXR5IQ==")
    #expect(root.text(in: message) == "café\r\n")
}

@Test func everyCorpusMessageParsesWithRangesInsideTheMessage() {
    for sample in MessageCorpus.all {
        let root = MIMEPart.parse(sample.bytes)
        for part in [root] + root.descendants {
            #expect(part.headerRange.upperBound == part.bodyRange.lowerBound, "\(sample.name)")
            #expect(part.bodyRange.upperBound <= sample.bytes.count, "\(sample.name)")
        }
    }
    #expect(MessageCorpus.all.count >= 20)
}

@Test func lineEndHelpersGiveCRLFSizes() {
    let message = MessageCorpus.bareLF
    let normalized = LineEnds.normalizedToCRLF(message)
    #expect(LineEnds.crlfSize(of: message) == normalized.count)
    #expect(LineEnds.bareLineFeedCount(in: normalized) == 0)
    #expect(LineEnds.normalizedToCRLF(Array("a\r\nb\nc\r".utf8)) == Array("a\r\nb\r\nc\r".utf8))
    let root = MIMEPart.parse(normalized)
    #expect(root.children.first?.text(in: normalized) == "line one\r\nline two")
}

/// The line-at-a-time path (contiguous bytes) gives what the byte-at-a-time one does for every mix of
/// CR, LF and a letter up to 6 bytes, slices included.
@Test func contiguousAndByteWiseCRLFNormalisationAgree() {
    let alphabet: [UInt8] = [0x0D, 0x0A, UInt8(ascii: "a")]
    var cases: [[UInt8]] = [[]]
    var frontier: [[UInt8]] = [[]]
    for _ in 1...6 {
        frontier = frontier.flatMap { prefix in alphabet.map { prefix + [$0] } }
        cases += frontier
    }
    for bytes in cases {
        #expect(LineEnds.normalizedToCRLF(bytes) == LineEnds.normalizedToCRLF(bytes.lazy.map { $0 }), "\(bytes)")
        let slice = bytes.dropFirst()
        #expect(LineEnds.normalizedToCRLF(slice) == LineEnds.normalizedToCRLF(slice.lazy.map { $0 }), "\(bytes)")
    }
}

@Test func parsingABufferMatchesParsingAnArray() {
    let message = MessageCorpus.nestedRFC822
    let fromBuffer = message.withUnsafeBufferPointer { MIMEPart.parse(buffer: $0) }
    #expect(fromBuffer == MIMEPart.parse(message))
}

@Test func bareLineFeedRangesAndEncapsulatedRangesAreExact() throws {
    // 107 bytes, LF only; offsets computed independently of the parser.
    let message = Array(
        ("Content-Type: multipart/mixed; boundary=q\n" + "\n" + "--q\n" + "Content-Type: message/rfc822\n" + "\n"
            + "Subject: in\n" + "\n" + "inner body\n" + "--q--\n").utf8
    )
    let root = MIMEPart.parse(message)
    #expect(root.headerRange == 0..<43)
    #expect(root.bodyRange == 43..<107)
    let part = try #require(root.children.first)
    #expect(part.headerRange == 47..<77)
    #expect(part.bodyRange == 77..<100)
    #expect(part.bodyLineCount == 2)
    #expect(part.bareLineFeedCount == 2)
    let inner = try #require(part.encapsulatedMessage)
    #expect(inner.headerRange == 77..<90)
    #expect(inner.bodyRange == 90..<100)
    #expect(inner.bodyLineCount == 0)
    #expect(root.part(at: [1, 1]) == inner)
}

/// A message parsed in a range of a larger buffer ends at the range: lines are found up to its end
/// and no further, even when the bytes after it hold a line feed and a delimiter.
@Test func aRangeOfALargerBufferIsParsedAsTheMessageAlone() throws {
    let message = Array(
        ("Content-Type: multipart/mixed; boundary=r\r\n\r\n--r\r\n\r\nfirst\r\n--r\r\n\r\nsecond, no line break").utf8
    )
    let larger = Array("x\r\n".utf8) + message + Array("\r\n--r\r\n\r\nnot this message\r\n--r--\r\n".utf8)
    let alone = MIMEPart.parse(message)
    let inRange = MIMEPart.parse(larger, range: 3..<(3 + message.count))
    try #require(alone.children.count == 2)
    try #require(inRange.children.count == 2)
    #expect(alone.children[1].text(in: message) == "second, no line break")
    #expect(inRange.children[1].text(in: larger) == "second, no line break")
    #expect(inRange.children[1].bodyRange == (alone.children[1].bodyRange.lowerBound + 3)..<(3 + message.count))
    #expect(inRange.bodyLineCount == alone.bodyLineCount)
}

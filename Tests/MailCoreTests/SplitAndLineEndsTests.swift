import Testing

@testable import MailCore

/// The one local@domain split every target uses: at the last `@` scalar, sides possibly empty.
@Test(arguments: [
    ("alice@example.org", "alice", "example.org"),
    ("\"a@b\"@example.org", "\"a@b\"", "example.org"),
    ("t@\u{30C}", "t", "\u{30C}"),
    ("jürgen@bücher.example", "jürgen", "bücher.example"),
    ("@example.org", "", "example.org"),
    ("alice@", "alice", ""),
])
func emailAddressSplitsAtTheLastAtScalar(address: String, local: String, domain: String) {
    let split = EmailAddress.split(address)
    #expect(split?.localPart == local)
    #expect(split?.domain == domain)
}

@Test func emailAddressWithoutAtDoesNotSplit() {
    #expect(EmailAddress.split("no-at") == nil)
}

/// Line ends, once for every target: counting in chunks gives the count of the whole.
@Test func bareLineFeedsCountTheSameInChunks() {
    let bytes = Array("a\nb\r\nc\n\nd\r\r\n\n".utf8)
    let whole = LineEnds.bareLineFeedCount(in: bytes)
    #expect(whole == 4)
    for cut in 0...bytes.count {
        var previous: UInt8 = 0
        let first = bytes[..<cut].withUnsafeBytes { LineEnds.bareLineFeedCount(in: $0, previous: &previous) }
        let second = bytes[cut...].withUnsafeBytes { LineEnds.bareLineFeedCount(in: $0, previous: &previous) }
        #expect(first + second == whole, "cut at \(cut)")
    }
}

/// SMTP's and the builder's form: every CR, LF or CRLF becomes CRLF (RFC 5321 2.3.8).
@Test(arguments: [
    ("a\r\nb\r\n", "a\r\nb\r\n", false),
    ("a\nb", "a\r\nb", true),
    ("a\rb", "a\r\nb", true),
    ("a\r\r\nb\r", "a\r\n\r\nb\r\n", true),
])
func lineBreaksBecomeCRLF(input: String, expected: String, bare: Bool) {
    #expect(LineEnds.crlfLineBreaks(Array(input.utf8)) == Array(expected.utf8))
    #expect(LineEnds.hasBareLineBreak(Array(input.utf8)) == bare)
}

@Test func headerLengthCountsTheEmptyLine() {
    #expect(LineEnds.headerLength(Array("A: b\r\n\r\nbody".utf8)) == 8)
    #expect(LineEnds.headerLength(Array("\r\nbody".utf8)) == 2)
    #expect(LineEnds.headerLength(Array("A: b\r\n".utf8)) == 6)
}

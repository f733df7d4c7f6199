import MailTestSupport
import Testing

@testable import MailCore

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Test func headerFieldsKeepOrderRepeatsAndCaseInsensitiveLookup() {
    let parsed = MessageHeader.parse(bytes("Received: a\r\nSUBJECT: Hi\r\nReceived: b\r\n\r\nbody"))
    #expect(parsed.header.count == 3)
    #expect(parsed.header["subject"] == "Hi")
    #expect(parsed.header.values(named: "received") == ["a", "b"])
    #expect(parsed.bodyStart == 41)
}

@Test func foldedValueIsKeptRawAndUnfolded() {
    let parsed = MessageHeader.parse(bytes("Subject: one\r\n two\r\n\tthree\r\nTo: x\r\n\r\n"))
    let field = parsed.header.field(named: "Subject")
    #expect(field?.rawValue == bytes(" one\r\n two\r\n\tthree"))
    #expect(field?.value == "one two\tthree")
    #expect(field?.range == 0..<28)
    #expect(parsed.header["To"] == "x")
}

@Test func bareLineFeedsEndLinesAndTheHeader() {
    let parsed = MessageHeader.parse(bytes("A: 1\nB: 2\n folded\n\nbody\n"))
    #expect(parsed.header.values(named: "b") == ["2 folded"])
    #expect(parsed.bodyStart == 19)
}

@Test func noBlankLineMeansEverythingIsHeader() {
    let message = MessageCorpus.headerOnly
    let parsed = MessageHeader.parse(message)
    #expect(parsed.bodyStart == message.count)
    #expect(parsed.header["Subject"] == "Only a header")
}

@Test func malformedLinesAreKeptAsFieldsWithoutName() {
    let parsed = MessageHeader.parse(bytes("From nobody Tue Nov  3\r\nSubject: ok\r\nno colon here\r\n\r\n"))
    #expect(parsed.header.count == 3)
    #expect(parsed.header[0].isMalformed)
    #expect(parsed.header[0].rawValue == bytes("From nobody Tue Nov  3"))
    #expect(parsed.header["subject"] == "ok")
    #expect(parsed.header.encoded == bytes("From nobody Tue Nov  3\r\nSubject: ok\r\nno colon here\r\n"))
}

@Test func obsoleteWhitespaceBeforeColonIsAccepted() {
    let parsed = MessageHeader.parse(bytes("Subject : spaced\r\n\r\n"))
    #expect(parsed.header["Subject"] == "spaced")
}

@Test func utf8HeaderBytesAreKept() {
    let parsed = MessageHeader.parse(MessageCorpus.utf8Headers)
    #expect(parsed.header["From"] == "Zoë <zoë@例え.jp>")
    #expect(parsed.header.field(named: "Subject")?.rawValue == bytes(" Ünïcödé without encoded words"))
}

@Test func parsingASliceGivesIndicesOfTheWholeArray() {
    let message = bytes("junkSubject: x\r\n\r\nbody")
    let parsed = MessageHeader.parse(message[4...])
    #expect(parsed.bodyStart == 18)
    #expect(parsed.header[0].range == 4..<16)
}

@Test func emptyInputHasNoFields() {
    let parsed = MessageHeader.parse([UInt8]())
    #expect(parsed.header.isEmpty)
    #expect(parsed.bodyStart == 0)
}

@Test func hundredThousandLineHeaderParses() {
    let message = MessageCorpus.longHeader(lines: 100_000)
    let parsed = MessageHeader.parse(message)
    #expect(parsed.header.count == 100_000)
    #expect(parsed.header["x-field-99999"] == "value 99999")
    #expect(Array(message[parsed.bodyStart...]) == bytes("body\r\n"))
}

@Test func commonFieldsAreTyped() {
    let header = MessageHeader.parse(
        MessageCorpus.crlf([
            "From: =?UTF-8?Q?J=C3=B6rg?= <j@example.de>", "To: a@example.org, Team: b@example.org;",
            "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=", "Message-ID: <id-1@example.de>",
            "In-Reply-To: <a@x> (comment <not@this>)", "References: <a@x>\r\n <b@y>", "", "",
        ])
    ).header
    #expect(header.subject == "Grüße")
    #expect(header.from == [Mailbox("j@example.de", displayName: "Jörg")])
    #expect(header.to.flatMap(\.mailboxes).map(\.address) == ["a@example.org", "b@example.org"])
    #expect(header.messageID == "<id-1@example.de>")
    #expect(header.inReplyTo == ["<a@x>"])
    #expect(header.references == ["<a@x>", "<b@y>"])
}

@Test func oneFieldIsReadAsTheWholeParseReadsIt() {
    let tricky = bytes(
        "Subject : spaced\r\nno colon here\r\n continued\r\nsUbJeCt: two\r\n\tfolded\r\nX-Subject: no\r\n"
            + "Bad Name: no\r\n\r\nSubject: in the body\r\n"
    )
    let headers = [tricky, bytes("Subject: a\nSubject: b\n\nbody"), bytes(""), bytes("Subject: no blank line")]
    for header in headers + [MessageCorpus.foldedHeaders, MessageCorpus.bareLF, MessageCorpus.utf8Headers] {
        for name in ["Subject", "subject", "X-Subject", "From", "Bad Name", ""] {
            #expect(
                MessageHeader.fields(named: name, in: header) == MessageHeader.parse(header).header.fields(named: name)
            )
        }
    }
    #expect(MessageHeader.fields(named: "subject", in: tricky).map(\.value) == ["spaced", "two\tfolded"])
}

/// The lines of some fields, searched alone, give what the whole header gives for those fields.
@Test func fieldLinesHoldWhatTheWholeHeaderHoldsForThoseFields() {
    let tricky = bytes(
        "Subject : spaced\r\nno colon here\r\n continued\r\nsUbJeCt: two\r\n\tfolded\r\nX-Subject: no\r\n"
            + "Bad Name: no\r\nFrom: f\r\n\r\nSubject: in the body\r\n"
    )
    let headers = [tricky, bytes("Subject: a\nSubject: b\n\nbody"), bytes(""), bytes("Subject: no blank line")]
    let sets = [["Subject"], ["subject", "From"], ["X-Subject"], [""], ["", "Subject"], ["Bad Name"], ["Date"]]
    for header in headers + [MessageCorpus.foldedHeaders, MessageCorpus.bareLF, MessageCorpus.utf8Headers] {
        for names in sets {
            let lines = header.withUnsafeBufferPointer { MessageHeader.fieldLines(named: names, in: $0) }
            for name in names + ["Subject", "From", "X-Subject"] where names.contains(name) {
                let alone = MessageHeader.fields(named: name, in: lines)
                let whole = MessageHeader.fields(named: name, in: header)
                #expect(alone.map(\.name) == whole.map(\.name) && alone.map(\.rawValue) == whole.map(\.rawValue))
            }
        }
    }
    let lines = tricky.withUnsafeBufferPointer { MessageHeader.fieldLines(named: ["subject"], in: $0) }
    #expect(lines == bytes("Subject : spaced\r\nsUbJeCt: two\r\n\tfolded\r\n"))
}

import MailCore
import MailTestSupport
import Testing

@testable import IMAPServer

@Suite(.offThePool) struct HeaderFieldFilterTests {
    private let names = ["From", "to", "SUBJECT", "Date", "Message-ID", "Content-Type", "X-Odd"]

    /// The one-pass filter answers exactly what parsing the header and filtering its fields does.
    private func agrees(_ bytes: [UInt8]) -> Bool {
        let parsed = MessageHeader.parse(bytes).header
        return HeaderFieldFilter.fields(bytes, named: names) == FetchEngine.filtered(parsed, names, keep: true, bytes)
    }

    @Test func agreesWithTheParserOnTheCorpus() {
        for sample in MessageCorpus.all { #expect(agrees(sample.bytes), "\(sample.name)") }
    }

    @Test func agreesWithTheParserOnOddHeaders() {
        let headers = [
            "Subject: folded\r\n over two lines\r\nTo: a@b\r\n\r\nbody",
            " leading: continuation\r\nFrom: x\r\n\r\n",
            "No colon here\r\nSub ject: spaced name\r\nSubject : space before colon\r\n\r\n",
            "Subject\r\n : colon on the next line\r\nDate: d\r\n\r\n",
            "X-Odd: bare lf\nFrom: y\n\nbody\n",
            "From: no line end at all",
            "Caf\u{e9}: eight bit\r\nFROM: upper\r\n\r\n",
            "\r\nSubject: in the body\r\n",
            "Subject: lone\rcr\r\nTo: t\r\n\r\n",
        ]
        for header in headers { #expect(agrees(Array(header.utf8)), "\(header)") }
    }
}

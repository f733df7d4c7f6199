import MailAuth
import MailTestSupport
import Testing

@Suite("DKIM canonicalisation (RFC 6376 §3.4)", .offThePool)
struct CanonicalizationTests {
    /// RFC 6376 §3.4.5's example message.
    static let message = Array(
        "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n".utf8
    )

    @Test("§3.4.5: relaxed header and body")
    func relaxed() {
        let fields = MessageFields(Self.message)
        let headers = fields.fields.flatMap { DKIMCanonicalization.relaxed.header($0.bytes) }
        #expect(String(decoding: headers, as: UTF8.self) == "a:X\r\nb:Y Z\r\n")
        #expect(String(decoding: DKIMCanonicalization.relaxed.body(fields.body), as: UTF8.self) == " C\r\nD E\r\n")
    }

    @Test("§3.4.5: simple header and body")
    func simple() {
        let fields = MessageFields(Self.message)
        let headers = fields.fields.flatMap { DKIMCanonicalization.simple.header($0.bytes) }
        #expect(String(decoding: headers, as: UTF8.self) == "A: X\r\nB : Y\t\r\n\tZ  \r\n")
        #expect(String(decoding: DKIMCanonicalization.simple.body(fields.body), as: UTF8.self) == " C \r\nD \t E\r\n")
    }

    @Test("empty bodies: simple is one CRLF, relaxed nothing (§3.4.3, §3.4.4)")
    func emptyBodies() {
        #expect(DKIMCanonicalization.simple.body([UInt8]()) == [13, 10])
        #expect(DKIMCanonicalization.simple.body(Array("\r\n\r\n".utf8)) == [13, 10])
        #expect(DKIMCanonicalization.relaxed.body([UInt8]()) == [])
        #expect(DKIMCanonicalization.relaxed.body(Array("\r\n \r\n".utf8)) == [])
        #expect(DKIMCanonicalization.relaxed.body(Array("end".utf8)) == Array("end\r\n".utf8))
        // Found by the fuzzer: a body with bare LFs is taken in its CRLF form.
        #expect(DKIMCanonicalization.relaxed.body(Array(" C \r\n-\n".utf8)) == Array(" C\r\n-\r\n".utf8))
        #expect(DKIMCanonicalization.simple.body(Array("a\nb\n\n".utf8)) == Array("a\r\nb\r\n".utf8))
    }

    @Test("c= pairs")
    func pairs() {
        #expect(DKIMCanonicalization.pair(nil)! == (.simple, .simple))
        #expect(DKIMCanonicalization.pair("relaxed")! == (.relaxed, .simple))
        #expect(DKIMCanonicalization.pair("Relaxed/Relaxed")! == (.relaxed, .relaxed))
        #expect(DKIMCanonicalization.pair("relaxed/loose") == nil)
    }

    @Test("bare LFs are made CRLF before splitting; folded fields keep their octets")
    func bareLineFeeds() {
        let fields = MessageFields(Array("Subject: a\n b\nFrom: x@y.test\n\nbody\n".utf8))
        #expect(fields.fields.map(\.name) == ["Subject", "From"])
        #expect(fields.fields[0].bytes == Array("Subject: a\r\n b\r\n".utf8))
        #expect(Array(fields.body) == Array("body\r\n".utf8))
    }
}

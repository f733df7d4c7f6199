import MailCore
import MailTestSupport
import Testing

@testable import IMAPServer

private func fetchLine(_ bytes: [UInt8], _ items: (MIMEPart) -> [FetchResponseItem]) -> String {
    let root = MIMEPart.parse(bytes)
    return String(decoding: IMAPResponseEncoder.encode(.untagged(.fetch(1, items(root)))), as: UTF8.self)
}

private func bodyStructure(_ bytes: [UInt8]) -> String {
    fetchLine(bytes) { [.bodyStructure(BodyStructureBuilder.structure($0))] }
}

private func envelope(_ bytes: [UInt8]) -> String {
    fetchLine(bytes) { [.envelope(EnvelopeBuilder.envelope($0.header))] }
}

/// Whether parentheses balance outside quoted strings and literals: the response is well formed.
private func isBalanced(_ line: String) -> Bool {
    var bytes = Array(line.utf8)[...]
    var depth = 0
    while let c = bytes.popFirst() {
        switch c {
        case UInt8(ascii: "\""):
            while let d = bytes.popFirst(), d != UInt8(ascii: "\"") {
                if d == UInt8(ascii: "\\") { _ = bytes.popFirst() }
            }
        case UInt8(ascii: "{"):
            var digits = ""
            while let d = bytes.popFirst(), d != UInt8(ascii: "}") { digits.append(Character(Unicode.Scalar(d))) }
            bytes = bytes.dropFirst(2 + (Int(digits) ?? 0))
        case UInt8(ascii: "("): depth += 1
        case UInt8(ascii: ")"):
            depth -= 1
            if depth < 0 { return false }
        default: break
        }
    }
    return depth == 0
}

@Suite(.offThePool) struct CorpusEncoderTests {
    /// ENVELOPE and BODYSTRUCTURE of corpus messages, checked by hand against RFC 3501 §7.4.2.
    ///
    /// As Dovecot sends them: parameters as the MIME header has them (RFC 2231 `name*` forms raw), a
    /// default charset for every text part without one, and line counts of line feeds only.
    static let expected: [(String, String, String)] = [
        (
            "plainASCII",
            "* 1 FETCH (ENVELOPE (\"Tue, 3 Nov 2026 10:00:00 +0000\" \"Lunch on Friday\" ((\"Alice Example\" NIL \"alice\" \"example.org\")) ((\"Alice Example\" NIL \"alice\" \"example.org\")) ((\"Alice Example\" NIL \"alice\" \"example.org\")) ((\"Bob\" NIL \"bob\" \"example.com\")) NIL NIL NIL \"<plain-1@example.org>\"))\r\n",
            "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 34 4 NIL NIL NIL NIL))\r\n"
        ),
        (
            "utf8Body8bit",
            "* 1 FETCH (ENVELOPE (\"Wed, 4 Nov 2026 08:30:00 +0100\" \"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\" (({5}\r\nJörg NIL \"joerg\" \"example.de\")) (({5}\r\nJörg NIL \"joerg\" \"example.de\")) (({5}\r\nJörg NIL \"joerg\" \"example.de\")) ((NIL NIL \"bob\" \"example.com\")) NIL NIL NIL NIL))\r\n",
            "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" 48 1 NIL NIL NIL NIL))\r\n"
        ),
        (
            "alternativeWithAttachments",
            "* 1 FETCH (ENVELOPE (\"Thu, 5 Nov 2026 09:00:00 +0000\" \"Report and picture\" ((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Bob\" NIL \"bob\" \"example.com\")) NIL NIL NIL NIL))\r\n",
            "* 1 FETCH (BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 15 0 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 29 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"inner\") NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"report.pdf\") NIL NIL \"base64\" 56 NIL (\"attachment\" (\"filename\" \"report.pdf\")) NIL NIL)(\"image\" \"png\" NIL \"<pixel@example.org>\" NIL \"base64\" 64 NIL (\"inline\" (\"filename\" \"pixel.png\")) NIL NIL) \"mixed\" (\"boundary\" \"outer\") NIL NIL NIL))\r\n"
        ),
        (
            "nestedRFC822",
            "* 1 FETCH (ENVELOPE (\"Fri, 6 Nov 2026 12:00:00 -0500\" \"Fwd: Minutes\" ((\"Carol\" NIL \"carol\" \"example.net\")) ((\"Carol\" NIL \"carol\" \"example.net\")) ((\"Carol\" NIL \"carol\" \"example.net\")) ((\"Bob\" NIL \"bob\" \"example.com\")) NIL NIL NIL NIL))\r\n",
            "* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 23 0 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL \"Minutes\" \"7bit\" 331 (\"Thu, 5 Nov 2026 17:00:00 -0500\" \"Minutes\" ((\"Dave\" NIL \"dave\" \"example.net\")) ((\"Dave\" NIL \"dave\" \"example.net\")) ((\"Dave\" NIL \"dave\" \"example.net\")) ((\"Carol\" NIL \"carol\" \"example.net\")) NIL NIL NIL NIL) ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 26 0 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 33 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"alt\") NIL NIL NIL) 15 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"fwd\") NIL NIL NIL))\r\n"
        ),
        (
            "groupAddresses",
            "* 1 FETCH (ENVELOPE (\"Tue, 3 Nov 2026 10:00:00 +0000\" \"Groups\" ((\"Boss\" NIL \"boss\" \"example.org\")) ((\"Boss\" NIL \"boss\" \"example.org\")) ((\"Boss\" NIL \"boss\" \"example.org\")) ((NIL NIL \"Team\" NIL)(NIL NIL \"alice\" \"example.org\")(\"Bob B.\" NIL \"bob\" \"example.com\")(NIL NIL NIL NIL)(NIL NIL \"carol\" \"example.net\")) ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL))\r\n",
            "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 13 1 NIL NIL NIL NIL))\r\n"
        ),
        (
            "missingHeaders", "* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n",
            "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 46 1 NIL NIL NIL NIL))\r\n"
        ),
        (
            "rfc2231Filename",
            "* 1 FETCH (ENVELOPE (NIL \"CV\" ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) NIL NIL NIL NIL NIL))\r\n",
            "* 1 FETCH (BODYSTRUCTURE ((\"application\" \"pdf\" NIL NIL NIL \"base64\" 12 NIL (\"attachment\" (\"filename*\" \"utf-8'fr'r%C3%A9sum%C3%A9 final.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"x\") NIL NIL NIL))\r\n"
        ),
        (
            "digest",
            "* 1 FETCH (ENVELOPE (NIL \"Digest\" ((NIL NIL \"list\" \"example.org\")) ((NIL NIL \"list\" \"example.org\")) ((NIL NIL \"list\" \"example.org\")) NIL NIL NIL NIL NIL))\r\n",
            "* 1 FETCH (BODYSTRUCTURE ((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 55 (NIL \"First\" ((NIL NIL \"one\" \"example.org\")) ((NIL NIL \"one\" \"example.org\")) ((NIL NIL \"one\" \"example.org\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 57 (NIL \"Second\" ((NIL NIL \"two\" \"example.org\")) ((NIL NIL \"two\" \"example.org\")) ((NIL NIL \"two\" \"example.org\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 15 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) \"digest\" (\"boundary\" \"dig\") NIL NIL NIL))\r\n"
        ),
        (
            "subjectUTF8Base64",
            "* 1 FETCH (ENVELOPE (\"Sat, 7 Nov 2026 10:00:00 +0300\" \"=?UTF-8?B?0J/RgNC40LLQtdGCLCA=?= =?UTF-8?B?0LzQuNGAIQ==?=\" ((\"=?UTF-8?B?0JjQstCw0L0=?=\" NIL \"ivan\" \"example.ru\")) ((\"=?UTF-8?B?0JjQstCw0L0=?=\" NIL \"ivan\" \"example.ru\")) ((\"=?UTF-8?B?0JjQstCw0L0=?=\" NIL \"ivan\" \"example.ru\")) ((NIL NIL \"bob\" \"example.com\")) NIL NIL NIL NIL))\r\n",
            "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL NIL NIL))\r\n"
        ),
        (
            "headerOnly",
            "* 1 FETCH (ENVELOPE (NIL \"Only a header\" ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) NIL NIL NIL NIL NIL))\r\n",
            "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL))\r\n"
        ),
    ]

    @Test(arguments: 0..<expected.count)
    func envelopeAndBodyStructure(_ index: Int) throws {
        let (name, expectedEnvelope, expectedStructure) = Self.expected[index]
        let sample = try #require(MessageCorpus.all.first { $0.name == name })
        #expect(envelope(sample.bytes) == expectedEnvelope)
        #expect(bodyStructure(sample.bytes) == expectedStructure)
    }

    @Test func everySampleEncodesWellFormed() {
        for sample in MessageCorpus.all {
            #expect(isBalanced(envelope(sample.bytes)), "\(sample.name)")
            #expect(isBalanced(bodyStructure(sample.bytes)), "\(sample.name)")
            #expect(
                isBalanced(fetchLine(sample.bytes) { [.body(BodyStructureBuilder.structure($0))] }),
                "\(sample.name)"
            )
        }
    }

    @Test func headerFieldsSectionsEndWithTheBlankLine() {
        for sample in MessageCorpus.all {
            var message = LoadedMessage(bytes: sample.bytes, headerOnly: false)
            let data = FetchEngine.sectionData(BodySection(kind: .headerFields(["Subject", "From"])), in: &message)
            #expect(
                data.map { $0.suffix(2) == [13, 10] && ($0.count == 2 || $0.suffix(4) == [13, 10, 13, 10]) } == true,
                "\(sample.name)"
            )
        }
    }

    @Test func headerSectionsOfAHeaderOnlyMessageAddNoBlankLineItDoesNotHave() {
        let bytes = Array("Subject: only\r\nFrom: a@example.org\r\n".utf8)
        var message = LoadedMessage(bytes: bytes, headerOnly: false)
        func text(_ section: BodySection) -> String? {
            FetchEngine.sectionData(section, in: &message).map { String(decoding: $0, as: UTF8.self) }
        }
        // RFC 3501 6.4.5: HEADER and HEADER.FIELDS.NOT give what the header holds, as Dovecot does.
        #expect(text(BodySection(kind: .header)) == "Subject: only\r\nFrom: a@example.org\r\n")
        #expect(text(BodySection(kind: .headerFieldsNot(["from"]))) == "Subject: only\r\n")
        // HEADER.FIELDS always ends with the blank line (Dovecot does; clients expect it).
        #expect(text(BodySection(kind: .headerFields(["from"]))) == "From: a@example.org\r\n\r\n")
        var withBody = LoadedMessage(bytes: bytes + Array("\r\nbody\r\n".utf8), headerOnly: false)
        let not = FetchEngine.sectionData(BodySection(kind: .headerFieldsNot(["from"])), in: &withBody)
        #expect(not == Array("Subject: only\r\n\r\n".utf8))
    }

    @Test func sectionsOfANestedMessage() throws {
        var message = LoadedMessage(bytes: MessageCorpus.nestedRFC822, headerOnly: false)
        func text(_ section: BodySection) -> String? {
            FetchEngine.sectionData(section, in: &message).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(text(BodySection(part: [1])) == "Forwarding the minutes.")
        #expect(
            text(BodySection(part: [2], kind: .mime))
                == "Content-Type: message/rfc822\r\nContent-Description: Minutes\r\n\r\n"
        )
        #expect(text(BodySection(part: [2], kind: .headerFields(["subject"]))) == "Subject: Minutes\r\n\r\n")
        #expect(text(BodySection(part: [2, 1])) == "Minutes: nothing happened.")
        #expect(text(BodySection(part: [2, 2], kind: .mime)) == "Content-Type: text/html\r\n\r\n")
        #expect(text(BodySection(part: [2, 3])) == nil)
        #expect(text(BodySection(part: [1], kind: .header)) == nil)
        #expect(try #require(text(BodySection(part: [2], kind: .text))).hasPrefix("--alt\r\n"))
        #expect(
            try #require(
                text(BodySection(kind: .headerFieldsNot(["from", "to", "date", "mime-version", "content-type"])))
            )
                == "Subject: Fwd: Minutes\r\n\r\n"
        )
        #expect(FetchEngine.partial(Array("abcdef".utf8), PartialRange(offset: 4, length: 10)) == Array("ef".utf8))
        #expect(FetchEngine.partial(Array("abcdef".utf8), PartialRange(offset: 9, length: 1)) == [])
    }
}

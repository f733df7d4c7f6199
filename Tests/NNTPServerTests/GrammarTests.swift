import Foundation
import MailTestSupport
import Testing

@testable import NNTPServer

private let now = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-29

private func parse(_ text: String) -> NNTPCommandParser.Outcome {
    NNTPCommandParser.parse(Array(text.utf8), now: now)
}

@Suite(.offThePool) struct WildmatTests {
    @Test func starAndQuestionMark() throws {
        let wildmat = try Wildmat("comp.*")
        #expect(wildmat.matches("comp.lang.swift"))
        #expect(wildmat.matches("comp."))
        #expect(!wildmat.matches("alt.comp"))
        #expect(try Wildmat("a?c").matches("abc"))
        #expect(try !Wildmat("a?c").matches("ac"))
        #expect(try Wildmat("*").matches(""))
        #expect(try Wildmat("*x*y*").matches("aaxbbyc"))
    }

    /// RFC 3977 §4.4's examples: the rightmost matching pattern decides.
    @Test func rightmostPatternDecides() throws {
        let wildmat = try Wildmat("a*,!*b,*c*")
        #expect(wildmat.matches("aaa"))
        #expect(!wildmat.matches("abb"))
        #expect(wildmat.matches("ccb"))
        #expect(!wildmat.matches("xxx"))
        let negatedOnly = try Wildmat("!comp.*")
        #expect(!negatedOnly.matches("comp.x"))
        #expect(!negatedOnly.matches("alt.x"))
        #expect(try Wildmat("*,!comp.*").matches("alt.x"))
    }

    @Test func refusesBadPatterns() {
        for bad in ["", "a,,b", "!", "a[b]", "a\\b", "a b", "a!b"] {
            #expect(throws: NNTPSyntaxError.self) { try Wildmat(bad) }
        }
    }

    @Test func hostilePatternIsLinear() throws {
        let wildmat = try Wildmat(String(repeating: "*a", count: 100) + "b")
        let start = ContinuousClock.now
        #expect(!wildmat.matches(String(repeating: "a", count: 400)))
        #expect(ContinuousClock.now - start < .seconds(2))
    }
}

@Suite(.offThePool) struct RangeTests {
    @Test func threeForms() throws {
        #expect(try ArticleRange("5"[...]) == ArticleRange(low: 5, high: 5))
        #expect(try ArticleRange("5-"[...]) == ArticleRange(low: 5, high: nil))
        #expect(try ArticleRange("5-9"[...]) == ArticleRange(low: 5, high: 9))
        #expect(try ArticleRange("9-5"[...]).contains(7) == false)
        #expect(try ArticleRange("5-"[...]).contains(UInt32.max))
        #expect(try ArticleRange("99999999999"[...]).low == UInt32.max)
    }

    @Test func refusesBadRanges() {
        for bad in ["", "-5", "a", "5-x", "1-2-3", "12345678901234567"] {
            #expect(throws: NNTPSyntaxError.self) { try ArticleRange(bad[...]) }
        }
    }
}

@Suite(.offThePool) struct CommandParserTests {
    @Test func everyCommand() throws {
        let cases: [(String, NNTPCommand)] = [
            ("CAPABILITIES", .capabilities), ("mode reader", .modeReader), ("GROUP misc.test", .group("misc.test")),
            ("LISTGROUP", .listGroup(nil, nil)), ("LISTGROUP g 3-", .listGroup("g", ArticleRange(low: 3, high: nil))),
            ("ARTICLE", .article(.current, .article)), ("HEAD 7", .article(.number(7), .head)),
            ("BODY <a@b>", .article(.messageID("<a@b>"), .body)), ("STAT 1", .article(.number(1), .stat)),
            ("NEXT", .next), ("LAST", .last), ("OVER", .over(.current)),
            ("XOVER 1-5", .over(.range(ArticleRange(low: 1, high: 5)))),
            ("OVER <x@y>", .over(.messageID("<x@y>"))),
            ("HDR Subject 3", .hdr(field: "Subject", .range(.single(3)), legacy: false)),
            ("XHDR from", .hdr(field: "from", .current, legacy: true)), ("LIST", .list(.active(nil))),
            ("LIST ACTIVE comp.*", .list(.active(try Wildmat("comp.*")))), ("LIST NEWSGROUPS", .list(.newsgroups(nil))),
            ("LIST ACTIVE.TIMES *", .list(.activeTimes(.all))), ("LIST OVERVIEW.FMT", .list(.overviewFormat)),
            ("LIST HEADERS RANGE", .list(.headers)), ("DATE", .date), ("POST", .post), ("IHAVE <i@x>", .ihave("<i@x>")),
            ("HELP", .help), ("QUIT", .quit),
            ("STARTTLS", .startTLS), ("AUTHINFO USER bob", .authinfoUser("bob")),
            ("authinfo pass s3cret", .authinfoPass("s3cret")),
            ("AUTHINFO PASS bob's  pass", .authinfoPass("bob's  pass")),
            ("AUTHINFO SASL plain", .authinfoSASL(mechanism: "PLAIN", initialResponse: nil)),
            ("AUTHINFO SASL PLAIN AGJvYgBwdw==", .authinfoSASL(mechanism: "PLAIN", initialResponse: "AGJvYgBwdw==")),
        ]
        for (line, command) in cases {
            #expect(parse(line) == .command(command), "\(line)")
        }
    }

    @Test func datesOfNewgroupsAndNewnews() throws {
        let utc = TimeZone(identifier: "UTC")!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        let expected = calendar.date(from: DateComponents(year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5))!
        #expect(parse("NEWGROUPS 20260102 030405") == .command(.newGroups(since: expected)))
        #expect(parse("NEWGROUPS 260102 030405 GMT") == .command(.newGroups(since: expected)))
        // §7.3.2: a two-digit year above this year's is in the previous century.
        let old = calendar.date(from: DateComponents(year: 1999, month: 1, day: 2, hour: 3, minute: 4, second: 5))!
        #expect(parse("NEWGROUPS 990102 030405") == .command(.newGroups(since: old)))
        #expect(parse("NEWNEWS * 20260102 030405") == .command(.newNews(.all, since: expected)))
    }

    @Test func unknownAndSyntaxErrors() {
        #expect(parse("FROB") == .unknown("FROB"))
        #expect(parse("") == .unknown(""))
        for bad in [
            "GROUP", "GROUP a b", "ARTICLE x", "ARTICLE <>", "ARTICLE 1 2", "LISTGROUP g x", "OVER 1-x", "HDR",
            "LIST FOO",
            "LIST OVERVIEW.FMT x", "NEWGROUPS 20261302 000000", "NEWGROUPS 2026 000000",
            "NEWGROUPS 20260101 000000 UTC",
            "NEWNEWS a[b] 20260101 000000", "MODE STREAM", "AUTHINFO", "AUTHINFO USER", "AUTHINFO FOO x", "NEXT 1",
            "NEWGROUPS 20260231 000000", "DATE x", "IHAVE", "IHAVE 5",
        ] {
            guard case .syntaxError = parse(bad) else {
                Issue.record("\(bad) gave \(parse(bad))")
                continue
            }
        }
        guard case .syntaxError = parse("GROUP " + String(repeating: "a", count: 600)) else {
            Issue.record("an over-long line must be 501")
            return
        }
        guard case .syntaxError = NNTPCommandParser.parse([0x47, 0xFF], now: now) else {
            Issue.record("non-UTF-8 must be 501")
            return
        }
    }

    @Test func dateFormat() {
        #expect(NNTPDateTime.format(Date(timeIntervalSince1970: 0)) == "19700101000000")
    }
}

@Suite(.offThePool) struct ResponseTests {
    @Test func dotStuffingAndLineEnds() {
        let bytes = NNTPResponse.multiline(220, "1 <a@b>", content: Array("A: b\n\n.hidden\r\n..two\nlast".utf8))
        #expect(
            String(decoding: bytes, as: UTF8.self) == "220 1 <a@b>\r\nA: b\r\n\r\n..hidden\r\n...two\r\nlast\r\n.\r\n"
        )
        let listed = NNTPResponse.multiline(215, "x", lines: [".a", "b"])
        #expect(String(decoding: listed, as: UTF8.self) == "215 x\r\n..a\r\nb\r\n.\r\n")
    }

    /// The line-at-a-time path (contiguous bytes) answers exactly what the byte-at-a-time one does, for
    /// every mix of CR, LF, dots and unterminated last lines up to 6 bytes, and for bigger random texts.
    @Test func contiguousAndByteWiseDotStuffingAgree() {
        let alphabet: [UInt8] = [0x0D, 0x0A, UInt8(ascii: "."), UInt8(ascii: "a")]
        var cases: [[UInt8]] = [[]]
        var frontier: [[UInt8]] = [[]]
        for _ in 1...6 {
            frontier = frontier.flatMap { prefix in alphabet.map { prefix + [$0] } }
            cases += frontier
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            cases.append(
                (0..<Int.random(in: 0..<300, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            )
        }
        for content in cases {
            let contiguous = NNTPResponse.multiline(220, "x", content: content)
            let byteWise = NNTPResponse.multiline(220, "x", content: content.lazy.map { $0 })
            #expect(contiguous == byteWise, "\(content)")
            let slice = content.dropFirst()
            #expect(
                NNTPResponse.multiline(220, "x", content: slice)
                    == NNTPResponse.multiline(220, "x", content: slice.lazy.map { $0 })
            )
        }
    }

    @Test func overviewLine() {
        let article = Array(
            "Subject: hi\tthere\r\nFrom: a@b\r\nMessage-ID: <1@x>\r\nReferences: <0@x>\r\n <00@x>\r\n\r\nbody\r\nmore\r\n"
                .utf8
        )
        let line = Overview.line(of: article)
        #expect(line == "hi there\ta@b\t\t<1@x>\t<0@x> <00@x>\t\(article.count)\t2")
        #expect(Overview.messageID(line) == "<1@x>")
        #expect(Overview.value(of: ":lines", header: nil, overview: line) == "2")
        #expect(Overview.value(of: "from", header: article, overview: nil) == "a@b")
    }
}

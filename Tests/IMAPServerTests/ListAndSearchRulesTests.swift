import Foundation
import MailTestSupport
import Testing

@testable import IMAPServer

@Suite(.offThePool) struct ListAndSearchRulesTests {
    @Test func listWildcards() {
        #expect(MailStoreExecutor.matches("INBOX", pattern: "*"))
        #expect(MailStoreExecutor.matches("INBOX", pattern: "inbox"))
        #expect(MailStoreExecutor.matches("Projects/2024", pattern: "*"))
        #expect(!MailStoreExecutor.matches("Projects/2024", pattern: "%"))
        #expect(MailStoreExecutor.matches("Projects/2024", pattern: "Projects/%"))
        #expect(MailStoreExecutor.matches("Projects/2024/Q1", pattern: "Projects/*"))
        #expect(!MailStoreExecutor.matches("Projects/2024/Q1", pattern: "Projects/%"))
        #expect(MailStoreExecutor.matches("Sent", pattern: "S%t"))
        #expect(!MailStoreExecutor.matches("sent", pattern: "Sent"))
        #expect(MailStoreExecutor.canonicalPattern(reference: "Projects", "%") == "Projects/%")
        #expect(MailStoreExecutor.canonicalPattern(reference: "Projects/", "%") == "Projects/%")
        #expect(MailStoreExecutor.canonicalPattern(reference: "", "*") == "*")
    }

    @Test func sentDatesAreTakenAsWritten() {
        #expect(SearchEngine.parseDay("Tue, 5 Mar 2024 23:20:30 -0800") == SearchDate(year: 2024, month: 3, day: 5))
        #expect(SearchEngine.parseDay("5 Mar 24 10:00 GMT") == SearchDate(year: 2024, month: 3, day: 5))
        #expect(SearchEngine.parseDay("garbage") == nil)
        #expect(
            SearchEngine.day(of: Date(timeIntervalSince1970: 1_709_683_199)) == SearchDate(year: 2024, month: 3, day: 5)
        )
    }

    @Test func searchKeysOverFlagsSizesAndText() {
        let engine = SearchEngine(lastMSN: 3, lastUID: 30)
        let candidate = SearchEngine.Candidate(
            msn: 2,
            uid: 20,
            flags: [.seen, Flag("$Work")],
            isRecent: true,
            size: 1000,
            internalDate: Date(timeIntervalSince1970: 1_709_630_430),
            modSeq: 7
        )
        let raw = Array(
            "Subject: =?UTF-8?Q?Caf=C3=A9?= menu\r\nFrom: Alice <a@example.org>\r\n\r\nSoup of the day\r\n".utf8
        )
        func check(_ key: SearchKey) -> Bool {
            var message: LoadedMessage? = LoadedMessage(bytes: raw, headerOnly: false)
            return engine.matches(key, candidate, &message)
        }
        #expect(check(.flag(.seen, set: true)))
        #expect(check(.flag(Flag("$work"), set: true)))
        #expect(!check(.new))
        #expect(check(.recent))
        #expect(check(.and([.larger(999), .smaller(1001)])))
        #expect(check(.uid(SequenceSet([.init(.number(20), .last)]))))
        #expect(!check(.sequenceSet(SequenceSet([.init(.number(3), .last)]))))
        #expect(check(.subject("CAFÉ")))
        #expect(check(.from("alice")))
        #expect(check(.body("SOUP")))
        #expect(!check(.body("Alice")))
        #expect(check(.text("alice")))
        #expect(check(.header(field: "subject", value: "")))
        #expect(!check(.header(field: "X-Missing", value: "")))
        #expect(check(.on(SearchDate(year: 2024, month: 3, day: 5))))
        #expect(check(.sentOn(SearchDate(year: 2024, month: 3, day: 5))) == false)
        // No Date field: sent on 1 January 1970, as Dovecot counts it.
        #expect(check(.sentOn(SearchDate(year: 1970, month: 1, day: 1))))
        #expect(check(.sentBefore(SearchDate(year: 2000, month: 1, day: 1))))
        #expect(!check(.sentSince(SearchDate(year: 2000, month: 1, day: 1))))
        #expect(check(.or(.flag(.deleted, set: true), .not(.modSeq(8)))))
    }

    /// An ASCII needle in a header with encoded words: the decoded text's bytes rule it out or in, and
    /// a byte match is a character match only where the text search says so.
    @Test func anASCIINeedleInDecodedHeaderText() {
        let engine = SearchEngine(lastMSN: 1, lastUID: 1)
        let candidate = SearchEngine.Candidate(
            msn: 1,
            uid: 1,
            flags: [],
            isRecent: false,
            size: 100,
            internalDate: Date(timeIntervalSince1970: 1_709_630_430),
            modSeq: 1
        )
        func subject(_ encoded: String, has needle: String) -> Bool {
            let raw = Array("Subject: \(encoded)\r\n\r\nbody\r\n".utf8)
            var message: LoadedMessage? = LoadedMessage(bytes: raw, headerOnly: false)
            return engine.matches(.subject(needle), candidate, &message)
        }
        // "Quarterly Report — résumé", base64 and quoted-printable.
        let b = "=?UTF-8?B?UXVhcnRlcmx5IFJlcG9ydCDigJQgcsOpc3Vtw6k=?="
        #expect(subject(b, has: "REPORT"))
        #expect(subject(b, has: "rly rep"))
        #expect(!subject(b, has: "resume"))
        #expect(subject(b, has: "RÉSUMÉ"))
        #expect(!subject(b, has: "budget"))
        #expect(subject("=?UTF-8?Q?Caf=C3=A9_menu?= of the day", has: "menu of"))
        // "Cafe" + a combining acute accent: "cafe" is bytes of it, not characters of it.
        let decomposed = "=?UTF-8?Q?Cafe=CC=81?="
        #expect(subject(decomposed, has: "caf"))
        #expect(subject(decomposed, has: "cafe") == "cafe\u{301}".contains("cafe"))
        // Text with no ASCII match that lowercases into one: KELVIN SIGN is "k" once lowercased, and
        // LATIN CAPITAL LETTER I WITH DOT ABOVE an "i" before a combining dot.
        #expect(subject("=?UTF-8?Q?5_=E2=84=AA_cold?=", has: "5 k cold"))
        // (The "i" is bytes of "i\u{307}", not a character of it, as with "cafe" above.)
        #expect(subject("=?UTF-8?Q?=C4=B0stanbul?=", has: "i") == "i\u{307}stanbul".contains("i"))
        #expect(subject("=?UTF-8?Q?=C4=B0stanbul?=", has: "stanbul"))
        #expect(!subject("=?UTF-8?Q?5_=E2=84=AA_cold?=", has: "5 c"))
    }

    /// The byte search rules out decoded text only where lowercasing cannot make ASCII of it.
    @Test func onlyKelvinAndDottedCapitalILowercaseIntoASCII() {
        #expect(SearchEngine.lowercasesIntoASCII("5 \u{212A}"))
        #expect(SearchEngine.lowercasesIntoASCII("\u{130}stanbul"))
        #expect(!SearchEngine.lowercasesIntoASCII("Quarterly Report — résumé"))
        #expect(!SearchEngine.lowercasesIntoASCII("ÅNGSTRÖM \u{212B} ΣΑΣ"))
        // No other scalar, in any plane, lowercases to anything with ASCII in it.
        let others = (0x80...0x10FFFF).lazy.compactMap(Unicode.Scalar.init).filter {
            $0 != "\u{212A}" && $0 != "\u{130}"
        }
        #expect(!others.contains { String($0).lowercased().utf8.contains { $0 < 0x80 } })
    }
}

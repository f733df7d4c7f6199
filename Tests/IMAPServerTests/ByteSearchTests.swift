import MailTestSupport
import Testing

@testable import IMAPServer

@Suite(.offThePool) struct ByteSearchTests {
    @Test func findsASCIIWordsInAnyCase() {
        let needle = ByteSearch.asciiNeedle("HeLLo")
        #expect(needle == Array("hello".utf8))
        #expect(ByteSearch.search(Array("hello".utf8), in: Array("say HELLO there".utf8)) == .found)
        #expect(ByteSearch.search(Array("hello".utf8), in: Array("say HELL".utf8)) == .absent)
        #expect(ByteSearch.search(Array("hello".utf8), in: Array("hel".utf8)) == .absent)
    }

    @Test func nonASCIITextLeavesTheAnswerToTheDecodedSearch() {
        #expect(ByteSearch.asciiNeedle("café") == nil)
        #expect(ByteSearch.search(Array("hello".utf8), in: Array("caf\u{e9} only".utf8)) == .unknown)
        #expect(ByteSearch.search(Array("caf".utf8), in: Array("caf\u{e9}".utf8)) == .found)
    }

    @Test func onlyCharsetsThatKeepASCIIQualify() {
        #expect(ByteSearch.isASCIICompatible(charset: nil))
        #expect(ByteSearch.isASCIICompatible(charset: "UTF-8"))
        #expect(ByteSearch.isASCIICompatible(charset: "ISO-8859-15"))
        #expect(!ByteSearch.isASCIICompatible(charset: "UTF-16"))
        #expect(!ByteSearch.isASCIICompatible(charset: "ISO-2022-JP"))
    }

    @Test func headerSearchSkipsOnlyMessagesThatCannotMatch() {
        let folded = Array("Subject: foo\r\n bar\r\n\r\n".utf8)
        #expect(SearchEngine.provablyAbsent("baz", in: folded))
        // Unfolding joins "foo" and " bar": a needle with a space is left to the decoded search.
        #expect(!SearchEngine.provablyAbsent("foo bar", in: folded))
        #expect(!SearchEngine.provablyAbsent("BAR", in: folded))
        // An encoded word may hide any text.
        #expect(!SearchEngine.provablyAbsent("zzz", in: Array("Subject: =?UTF-8?Q?zz=7A?=\r\n\r\n".utf8)))
        #expect(!SearchEngine.provablyAbsent("zzz", in: Array("Subject: caf\u{e9}\r\n\r\n".utf8)))
    }
}

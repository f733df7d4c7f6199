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

    @Test func plainHeaderValuesAreSearchedAsBytes() throws {
        let needle = try #require(SearchEngine.plainNeedle("BAR"))
        #expect(SearchEngine.plainMatch(needle, in: Array("foo bar".utf8)) == true)
        #expect(SearchEngine.plainMatch(needle, in: Array("foo baz".utf8)) == false)
        // An encoded word may hide any text, and non-ASCII text needs Unicode case folding.
        #expect(SearchEngine.plainMatch(needle, in: Array("=?UTF-8?Q?bar?=".utf8)) == nil)
        #expect(SearchEngine.plainMatch(needle, in: Array("caf\u{e9} bar".utf8)) == nil)
        // Non-ASCII needles and line breaks are left to the decoded search.
        #expect(SearchEngine.plainNeedle("café") == nil)
        #expect(SearchEngine.plainNeedle("a\r\nb") == nil)
        #expect(SearchEngine.plainNeedle("") == nil)
    }
}

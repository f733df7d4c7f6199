import Testing

@testable import MailStore

/// `MaildirFileName.hasBase` answers as comparing with `base(of:)` does, on the names Maildir writers
/// make and on the shapes a hand-edited uidlist or cache can hold.
@Suite struct MaildirFileNameTests {
    static let names = [
        "", ":", ":2,S", "a", "a:", "a:2,", "a:2,FS", "ab", "a:b",
        "1700000000.M1P2Q3.host,S=1234,W=1260:2,S",
        "1700000000.M1P2Q3.host,S=1234,W=1260",
        "1700000000.M1P2Q3.host,S=1234,W=1260:2,:2,S",
        "1700000000.M1P2Q3.hôst,S=12:2,RS",
        "exactly15bytes.:2,S", "exactly16bytes..:2,S",
    ]
    static let bases = [
        "", ":", "a", "ab", "a:", "a:b",
        "1700000000.M1P2Q3.host,S=1234,W=1260", "1700000000.M1P2Q3.host,S=1234,W=126",
        "1700000000.M1P2Q3.host,S=1234,W=12600", "1700000000.M1P2Q3.hôst,S=12",
        "1700000000.M1P2Q3.host,S=12", "exactly15bytes.", "exactly16bytes..", "exactly16bytes.",
    ]

    @Test(arguments: names)
    func hasBaseAnswersAsBaseOf(_ name: String) {
        for base in Self.bases + [name, MaildirFileName.base(of: name)] {
            let expected = !base.utf8.contains(UInt8(ascii: ":")) && MaildirFileName.base(of: name) == base
            #expect(MaildirFileName.hasBase(base, name) == expected, "base \(base) of \(name)")
        }
    }

    /// Strings made from the prefix of another, and one grown a character at a time (its buffer larger
    /// than its bytes), compare by their bytes too.
    @Test func substringsAndBuiltStringsCompareByBytes() {
        let long = "1700000000.M1P2Q3.host,S=1234,W=1260:2,S"
        let base = String(long.prefix(36))
        var built = ""
        for character in long { built.append(character) }
        #expect(MaildirFileName.hasBase(base, built))
        #expect(MaildirFileName.hasBase(String(built.prefix(36)), long))
        #expect(!MaildirFileName.hasBase(String(long.prefix(35)), built))
    }
}

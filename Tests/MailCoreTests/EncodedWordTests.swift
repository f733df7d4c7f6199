import MailTestSupport
import Testing

@testable import MailCore

@Test func decodesRealWorldSubjects() {
    func subject(_ message: [UInt8]) -> String? {
        MessageHeader.parse(message).header.field(named: "Subject")?.decodedValue
    }
    #expect(subject(MessageCorpus.subjectUTF8Base64) == "Привет, мир!")
    #expect(subject(MessageCorpus.subjectLatin1Quoted) == "Café à la crème")
    #expect(subject(MessageCorpus.subjectWindows1252) == "“Quotes” – €5")
    #expect(subject(MessageCorpus.subjectKOI8R) == "Привет")
    #expect(subject(MessageCorpus.utf8Body8bit) == "Grüße")
}

@Test func whitespaceBetweenAdjacentWordsIsDroppedButNotAroundText() {
    #expect(EncodedWord.decode("=?UTF-8?Q?a?= =?UTF-8?Q?b?=") == "ab")
    #expect(EncodedWord.decode("=?UTF-8?Q?a?=\r\n =?ISO-8859-1?Q?b?=") == "ab")
    #expect(EncodedWord.decode("x =?UTF-8?Q?a?= y") == "x a y")
    #expect(EncodedWord.decode("=?UTF-8?Q?a_b?=") == "a b")
}

@Test func characterSplitAcrossWordsIsJoined() {
    // "é" is C3 A9; a sender split it between two words.
    #expect(EncodedWord.decode("=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?=") == "café")
}

@Test func malformedWordsStayAsWritten() {
    #expect(EncodedWord.decode("=?UTF-8?X?abc?=") == "=?UTF-8?X?abc?=")
    #expect(EncodedWord.decode("=?UTF-8?Q?unterminated") == "=?UTF-8?Q?unterminated")
    #expect(EncodedWord.decode("=?no-such-charset?Q?abc?=") == "=?no-such-charset?Q?abc?=")
    #expect(EncodedWord.decode("=?UTF-8?Q?has space?=") == "=?UTF-8?Q?has space?=")
    #expect(EncodedWord.decode("=?utf-8*en?Q?lang?=") == "lang")
}

@Test func encodeLeavesASCIIAloneAndKeepsWordsShort() {
    #expect(EncodedWord.encode("Plain subject") == "Plain subject")
    let encoded = EncodedWord.encode("Réunion demain à 10h")
    #expect(encoded.hasPrefix("=?UTF-8?Q?R=C3=A9union"))
    #expect(encoded.hasSuffix(" 10h"))
    #expect(EncodedWord.decode(encoded) == "Réunion demain à 10h")
    let long = EncodedWord.encode(String(repeating: "日本語のテキスト", count: 10))
    #expect(long.split(separator: " ").allSatisfy { $0.utf8.count <= 75 })
    #expect(long.hasPrefix("=?UTF-8?B?"))
}

@Test func encodeRoundTripsRandomText() {
    var generator = SeededGenerator(seed: 3)
    let pieces = ["a", "Z", " ", "é", "ß", "€", "日", "😀", "=?", "?=", "_", "\"", "👩‍👩‍👧", "x y", "(", ")"]
    for _ in 0..<500 {
        let count = Int.random(in: 1...60, using: &generator)
        let text = (0..<count).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
        let encoded = EncodedWord.encode(text)
        #expect(EncodedWord.decode(encoded) == text)
        #expect(encoded.split(separator: " ").allSatisfy { !$0.hasPrefix("=?") || $0.utf8.count <= 75 })
        let phrase = EncodedWord.encodePhrase(text)
        #expect(phrase.split(separator: " ").allSatisfy { !$0.hasPrefix("=?") || $0.utf8.count <= 75 })
    }
}

@Test func phrasesAreAtomsQuotedStringsOrEncodedWords() {
    #expect(EncodedWord.encodePhrase("Alice Example") == "Alice Example")
    #expect(EncodedWord.encodePhrase("Example, Alice") == "\"Example, Alice\"")
    #expect(EncodedWord.encodePhrase("say \"hi\"") == "\"say \\\"hi\\\"\"")
    #expect(EncodedWord.encodePhrase("Jörg") == "=?UTF-8?Q?J=C3=B6rg?=")
    #expect(
        EncodedWord.encodePhrase("Jörg Müller-Lüdenscheidt") == "=?UTF-8?Q?J=C3=B6rg_M=C3=BCller-L=C3=BCdenscheidt?="
    )
}

@Test func rfc2231ParametersDecode() {
    let parameters = MIMEParameters.parse(
        Array(
            "; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\""
                .utf8
        )[...]
    )
    #expect(parameters["title"] == "This is even more ***fun*** isn't it!")
    let latin = MIMEParameters.parse(Array("; filename*=iso-8859-1''na%EFve.txt".utf8)[...])
    #expect(latin["filename"] == "naïve.txt")
}

@Test func rawParametersKeepRFC2231FormsWithContinuationsJoined() {
    func raw(_ text: String) -> [String] {
        let parameters = MIMEParameters.parse(Array(text.utf8)[...])
        return (parameters.raw ?? []).map { $0.name + "=" + String(decoding: $0.value, as: UTF8.self) }
    }
    #expect(
        raw("; title*0*=us-ascii'en'This%20is%20; title*1*=%2A%2Afun; title*2=\" 100%\"; type=a")
            == ["type=a", "title*=us-ascii'en'This%20is%20%2A%2Afun 100%25"]
    )
    #expect(raw("; filename*=iso-8859-1''na%EFve.txt") == ["filename*=iso-8859-1''na%EFve.txt"])
    #expect(raw("; name*0=\"long \"; name*1=name.pdf") == ["name=long name.pdf"])
    #expect(raw("; name*0=a; name*0*=b; name*2=c") == ["name*0=a", "name*0*=b", "name*2=c"])
    #expect(raw("; filename=\"=?utf-8?q?caf=C3=A9?=\"") == ["filename==?utf-8?q?caf=C3=A9?="])
    // The decoded view of the same list is unchanged.
    #expect(MIMEParameters.parse(Array("; filename*=iso-8859-1''na%EFve.txt".utf8)[...])["filename"] == "naïve.txt")
    #expect(MIMEParameters([.init(name: "a", value: "b")]).raw == nil)
}

@Test func parametersAreTolerant() {
    let parameters = MIMEParameters.parse(
        Array("; name=my file.pdf ;charset=\"utf-8\" (c); boundary=\"a\\\"b".utf8)[...]
    )
    #expect(parameters["name"] == "my file.pdf")
    #expect(parameters["charset"] == "utf-8")
    #expect(parameters["boundary"] == "a\"b")
}

@Test func parameterEncodingRoundTrips() {
    var parameters = MIMEParameters()
    parameters["filename"] = "Überweisung für März — sehr langer Dateiname mit vielen Wörtern.pdf"
    parameters["name"] = "plain.pdf"
    parameters["title"] = "with space"
    let encoded = parameters.encoded()
    #expect(encoded.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 78 })
    let parsed = MIMEParameters.parse(Array(encoded.utf8)[...])
    #expect(parsed == parameters)
}

@Test func extendedParameterWinsOverItsPlainFallback() {
    let both = MIMEParameters.parse(Array("; filename=\"fallback.pdf\"; filename*=utf-8''r%C3%A9el.pdf".utf8)[...])
    #expect(both["filename"] == "réel.pdf")
    let reversed = MIMEParameters.parse(Array("; filename*=utf-8''r%C3%A9el.pdf; filename=\"fallback.pdf\"".utf8)[...])
    #expect(reversed["filename"] == "réel.pdf")
}

@Test func commonCharsetsDecode() {
    #expect(Charset.decode([0xA3, 0xF3, 0x64, 0xBC], charset: "ISO-8859-2") == "Łódź")
    #expect(Charset.decode([0xA4], charset: "iso-8859-15") == "€")
    #expect(Charset.decode([0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2], charset: "Windows-1251") == "Привет")
    #expect(Charset.decode([0x9A, 0x9D], charset: "windows-1250") == "šť")
    #expect(Charset.decode([0xF0, 0xD2, 0xC9, 0xD7, 0xC5, 0xD4], charset: "koi8-r") == "Привет")
    #expect(Charset.decode([0xE9], charset: "latin1") == "é")
    #expect(Charset.decode([0xE9], charset: "utf-8") == nil)
    #expect(Charset.decode([0x41], charset: "x-no-such-charset") == nil)
    #expect(Charset.decodeUndeclared([0x63, 0x61, 0x66, 0xE9]) == "café")
}

/// A charset name is matched without case and without the spaces or tabs around it (a MIME parameter
/// such as `charset= "ISO-8859-1" ` keeps them), and a name with a non-ASCII space is trimmed too.
@Test func charsetNamesAreTrimmedAndCaseFolded() {
    #expect(Charset.canonicalName(" \tUTF-8 \t") == "utf-8")
    #expect(Charset.canonicalName("ISO-8859-1") == "iso-8859-1")
    #expect(Charset.canonicalName("\u{00A0}KOI8-R\u{2003}") == "koi8-r")
    #expect(Charset.canonicalName("") == "")
    #expect(Charset.decode([0xE9], charset: "  Latin1\t") == "é")
    #expect(Charset.decode([0xCF, 0xF0], charset: " WINDOWS-1251 ") == "Пр")
    #expect(Charset.isSupported("\tus-ascii") && !Charset.isSupported("utf-9"))
}

@Test func messageGlobalIsEncapsulatedWithUTF8Header() throws {
    let message = MessageCorpus.messageGlobal
    let report = MIMEPart.parse(message)
    let global = try #require(report.part(at: [2]))
    #expect(global.contentType.mimeType == "message/global")
    #expect(global.encapsulatedMessage?.header.subject == "Grüße")
    #expect(global.encapsulatedMessage?.header.from.first?.domain == "例え.jp")
    #expect(report.part(at: [2, 1])?.text(in: message) == "Hallo.")
}

@Test func invalidUTF8IsRecognised() {
    #expect(Charset.decode([0xC0, 0xAF], charset: "utf-8") == nil)  // overlong "/"
    #expect(Charset.decode([0xED, 0xA0, 0x80], charset: "utf-8") == nil)  // a surrogate
    #expect(Charset.decode([0xE2, 0x82], charset: "utf-8") == nil)  // truncated
    #expect(Charset.decode([0xE2, 0x82, 0xAC], charset: "UTF-8") == "€")
    #expect(Charset.decodeUndeclared([0xC0, 0xAF]) == "À¯")
}

import MailCore
import Testing

/// Punycode against RFC 3492 §7.1's sample strings, and IDNA's A-label/U-label conversion.
@Suite struct IDNATests {
    static func text(_ scalars: [UInt32]) -> String {
        var text = ""
        for value in scalars { text.unicodeScalars.append(Unicode.Scalar(value)!) }
        return text
    }

    /// (name in RFC 3492 §7.1, code points, Punycode; the RFC's mixed-case letters lower-cased except
    /// where the input's basic letters are upper case, which Punycode copies).
    static let samples: [(String, [UInt32], String)] = [
        (
            "(B) Chinese (simplified)", [0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D, 0x6587],
            "ihqwcrb4cv8a8dqg056pqjye"
        ),
        (
            "(C) Chinese (traditional)", [0x4ED6, 0x5011, 0x7232, 0x4EC0, 0x9EBD, 0x4E0D, 0x8AAA, 0x4E2D, 0x6587],
            "ihqwctvzc91f659drss3x8bo0yb"
        ),
        (
            "(D) Czech",
            [
                0x0050, 0x0072, 0x006F, 0x010D, 0x0070, 0x0072, 0x006F, 0x0073, 0x0074, 0x011B, 0x006E, 0x0065,
                0x006D, 0x006C, 0x0075, 0x0076, 0x00ED, 0x010D, 0x0065, 0x0073, 0x006B, 0x0079,
            ],
            "Proprostnemluvesky-uyb24dma41a"
        ),
        (
            "(L) 3<nen>B<gumi><kinpachi><sensei>", [0x0033, 0x5E74, 0x0042, 0x7D44, 0x91D1, 0x516B, 0x5148, 0x751F],
            "3B-ww4c5e180e575a65lsy2b"
        ),
        (
            "(M) <amuro><namie>-with-SUPER-MONKEYS",
            [
                0x5B89, 0x5BA4, 0x5948, 0x7F8E, 0x6075, 0x002D, 0x0077, 0x0069,
                0x0074, 0x0068, 0x002D, 0x0053, 0x0055, 0x0050, 0x0045, 0x0052,
                0x002D, 0x004D, 0x004F, 0x004E, 0x004B, 0x0045, 0x0059, 0x0053,
            ],
            "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"
        ),
        (
            "(Q) <pafii>de<runba>", [0x30D1, 0x30D5, 0x30A3, 0x30FC, 0x0064, 0x0065, 0x30EB, 0x30F3, 0x30D0],
            "de-jg4avhby1noc0d"
        ),
        (
            "(S) -> $1.00 <-",
            [0x002D, 0x003E, 0x0020, 0x0024, 0x0031, 0x002E, 0x0030, 0x0030, 0x0020, 0x003C, 0x002D],
            "-> $1.00 <--"
        ),
        ("bücher", [0x0062, 0x00FC, 0x0063, 0x0068, 0x0065, 0x0072], "bcher-kva"),
    ]

    @Test(arguments: 0..<samples.count)
    func rfc3492Samples(index: Int) {
        let (name, scalars, punycode) = Self.samples[index]
        #expect(Punycode.encode(Self.text(scalars)) == punycode, "\(name)")
        #expect(Punycode.decode(punycode) == Self.text(scalars), "\(name)")
        // Decoding ignores the digits' case.
        #expect(Punycode.decode(punycode.uppercased()).map { $0.lowercased() } == Self.text(scalars).lowercased())
    }

    @Test func invalidPunycodeIsRefused() {
        #expect(Punycode.decode("ü-abc") == nil)
        #expect(Punycode.decode("abc-!") == nil)
        #expect(Punycode.decode("99999999999") == nil)
    }

    @Test func typedDomainsBecomeALabels() {
        #expect(IDNA.toASCII("bücher.example") == "xn--bcher-kva.example")
        #expect(IDNA.toASCII("Bücher.Example.") == "xn--bcher-kva.example")
        // NFC: u + combining diaeresis is ü.
        #expect(IDNA.toASCII("bu\u{0308}cher.example") == "xn--bcher-kva.example")
        // Ideographic and full-width dots separate labels as "." does.
        #expect(IDNA.toASCII("例え\u{3002}テスト") == "xn--r8jz45g.xn--zckzah")
        #expect(IDNA.toASCII("xn--bcher-kva.example") == "xn--bcher-kva.example")
        #expect(IDNA.toASCII("mail.example.org") == "mail.example.org")
        #expect(IDNA.toASCII("[192.0.2.1]") == "[192.0.2.1]")
    }

    @Test func badDomainsAreRefused() {
        #expect(IDNA.toASCII("bü cher.example") == nil)
        #expect(IDNA.toASCII("a..example") == nil)
        #expect(IDNA.toASCII("-bücher.example") == nil)
        #expect(IDNA.toASCII("xn--abc-.example") == nil)
        #expect(IDNA.toASCII("\u{30C}x.example") == nil)
        #expect(IDNA.toASCII(String(repeating: "ü", count: 60) + ".example") == nil)
    }

    @Test func aLabelsAreShownAsTyped() {
        #expect(IDNA.toUnicode("xn--bcher-kva.example") == "bücher.example")
        #expect(IDNA.toUnicode("mail.example.org") == "mail.example.org")
    }
}

import MailCore
import Testing

/// UTS #46 mapping of what users type and the RFC 5891 checks of each label (issue 15).
@Suite struct IDNAMappingTests {
    @Test(
        "typed names map to their A-labels",
        arguments: [
            ("BÜCHER.example", "xn--bcher-kva.example"),
            ("bücher.example.", "xn--bcher-kva.example"),
            ("\u{FF45}\u{FF58}\u{FF41}\u{FF4D}\u{FF50}\u{FF4C}\u{FF45}", "example"),
            ("\u{FF45}\u{FF58}\u{FF41}\u{FF4D}\u{FF50}\u{FF4C}\u{FF45}\u{FF0E}\u{FF4F}\u{FF52}\u{FF47}", "example.org"),
            ("fa\u{00AD}ss.de", "fass.de"),
            ("faß.de", "xn--fa-hia.de"),
            ("ex\u{200B}ample.org", "example.org"),
            ("exa\u{FE0F}mple\u{FE00}.org", "example.org"),
            ("a\u{200C}b\u{200D}c.example", "abc.example"),
            ("\u{FB01}le.example", "file.example"),
            ("bu\u{0308}cher.example", "xn--bcher-kva.example"),
            ("mañana\u{3002}example", "xn--maana-pta.example"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("XN--BCHER-KVA.Example", "xn--bcher-kva.example"),
            ("[192.0.2.1]", "[192.0.2.1]"),
        ]
    )
    func maps(typed: String, expected: String) throws {
        #expect(try IDNA.ascii(typed) == expected)
        #expect(IDNA.toASCII(typed) == expected)
    }

    @Test("mapping reaches a fixed point and is idempotent")
    func mappingIsIdempotent() {
        for typed in ["Ⅻ.example", "ẞTRASSE.de", "Ω.example", "\u{FF21}\u{FF22}"] {
            let once = IDNA.map(typed)
            #expect(IDNA.map(once).unicodeScalars.elementsEqual(once.unicodeScalars), "\(typed)")
        }
        #expect(IDNA.map("Ⅻ") == "xii")
        #expect(IDNA.map("ẞ") == "ß")
    }

    @Test("a ZWNJ after a virama stays (RFC 5892 A.1); elsewhere it goes")
    func joinerInContext() throws {
        let withJoiner = try IDNA.ascii("\u{0915}\u{094D}\u{200C}\u{0937}.example")
        let without = try IDNA.ascii("\u{0915}\u{094D}\u{0937}.example")
        #expect(withJoiner != without)
        #expect(try IDNA.ascii("\u{0915}\u{200C}\u{0937}.example") == IDNA.ascii("\u{0915}\u{0937}.example"))
    }

    @Test("invalid labels are refused with the label and the rule")
    func refusals() throws {
        func reason(_ typed: String) -> IDNAError.Reason? {
            do {
                _ = try IDNA.ascii(typed)
                return nil
            } catch {
                return error.reason
            }
        }
        #expect(reason("ab--cd.example") == .hyphensInThirdAndFourthPositions)
        #expect(reason("üb--cd.example") == .hyphensInThirdAndFourthPositions)
        #expect(reason("\u{0301}bc.example") == .leadingCombiningMark)
        #expect(reason("-bücher.example") == .hyphenAtEnd)
        #expect(reason("bücher..example") == .emptyLabel)
        #expect(reason("b ücher.example") == .disallowed(" "))
        let long = reason("ü" + String(repeating: "a", count: 60) + ".example")
        #expect(long.map { if case .labelTooLong(let octets) = $0 { octets > 63 } else { false } } == true)
        #expect(reason(Array(repeating: "bücher", count: 20).joined(separator: ".")) == .nameTooLong)
        #expect(reason("xn--ab-.example") == .hyphenAtEnd)
        // A-labels of U-labels that mapping would change: an upper-case letter, a full-width one.
        let upper = try #require(Punycode.encode("bÜcher"))
        #expect(reason("xn--\(upper.lowercased()).example") == .notRoundTrip)
        let wide = try #require(Punycode.encode("\u{FF42}ücher"))
        #expect(reason("xn--\(wide).example") == .notRoundTrip)

        let error = try #require(throws: IDNAError.self) { try IDNA.ascii("ab--cd.example") }
        #expect(
            error.description
                == "ab--cd.example is not a domain name: label \"ab--cd\" has hyphens in the third and fourth positions, kept for xn--"
        )
        #expect(IDNA.toASCII("\u{0301}bc.example") == nil)
    }
}

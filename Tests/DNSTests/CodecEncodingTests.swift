import DNS
import MailTestSupport
import Testing

@Suite("Encoding queries (RFC 1035 §4.1, RFC 6891 §6.1.2)", .offThePool)
struct CodecEncodingTests {
    @Test("a query is ID, RD, one question and an OPT record advertising 1232 octets")
    func queryBytes() throws {
        let query = DNSMessage.query(id: 0xABCD, question: DNSQuestion(name: name("example.org"), type: .mx))
        let expected: [UInt8] =
            [0xAB, 0xCD, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]
            + [7] + Array("example".utf8) + [3] + Array("org".utf8) + [0] + [0x00, 0x0F, 0x00, 0x01]
            + [0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        #expect(try query.encoded() == expected)
    }

    @Test("without EDNS a query has no additional record (RFC 6891 §7 retry)")
    func queryWithoutEDNS() throws {
        let question = DNSQuestion(name: name("Example.org"), type: .txt)
        let query = DNSMessage.query(id: 1, question: question, recursionDesired: false, udpPayloadSize: nil)
        let expected: [UInt8] =
            [0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
            + [7] + Array("Example".utf8) + [3] + Array("org".utf8) + [0] + [0x00, 0x10, 0x00, 0x01]
        #expect(try query.encoded() == expected)
    }

    @Test(
        "every record type survives encoding and decoding",
        arguments: [
            DNSRecordData.a(IPv4Address("127.0.0.1")!),
            .aaaa(IPv6Address("::1")!),
            .cname(name("alias.example.org")),
            .ns(name("ns1.example.org")),
            .ptr(name("host.example.org")),
            .mx(MXRecord(preference: 10, exchange: name("mail.example.org"))),
            .mx(MXRecord(preference: 0, exchange: .root)),
            .txt(TXTRecord(strings: [Array("v=spf1 ".utf8), Array("-all".utf8)])),
            .txt(TXTRecord(strings: [[]])),
            .soa(
                SOARecord(
                    mname: name("ns.example.org"),
                    rname: name("h.example.org"),
                    serial: 7,
                    refresh: 1,
                    retry: 2,
                    expire: 3,
                    minimum: 4
                )
            ),
            .tlsa(
                TLSARecord(certificateUsage: 3, selector: 1, matchingType: 1, certificateAssociationData: [0xDE, 0xAD])
            ),
            .unknown([1, 2, 3]),
        ]
    )
    func roundTrip(data: DNSRecordData) throws {
        let type: DNSType =
            switch data {
            case .a: .a
            case .aaaa: .aaaa
            case .cname: .cname
            case .ns: .ns
            case .ptr: .ptr
            case .mx: .mx
            case .txt: .txt
            case .soa: .soa
            case .tlsa: .tlsa
            case .opt: .opt
            case .unknown: DNSType(rawValue: 65_280)
            }
        var header = DNSHeader(id: 7)
        header.isResponse = true
        let message = DNSMessage(
            header: header,
            questions: [DNSQuestion(name: name("example.org"), type: type)],
            answers: [DNSResourceRecord(name: name("example.org"), type: type, ttl: 60, data: data)],
            additionals: [.opt(udpPayloadSize: 1232)]
        )
        #expect(try DNSMessage.decode(message.encoded()) == message)
    }

    @Test(
        "names given as text are checked against RFC 1035 §2.3.4",
        arguments: [
            ("example.org", true), ("example.org.", true), (".", true), ("_25._tcp.mx.example.org", true),
            ("", false), ("a..b", false), (".a", false), (String(repeating: "a", count: 63) + ".org", true),
            (String(repeating: "a", count: 64) + ".org", false),
            (
                Array(repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "."
                    + String(repeating: "b", count: 61), true
            ),
            (
                Array(repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "."
                    + String(repeating: "b", count: 62), false
            ),
        ]
    )
    func textNames(text: String, valid: Bool) {
        #expect(((try? DNSName(text)) != nil) == valid)
    }

    @Test("names compare without ASCII case (RFC 4343)")
    func caseInsensitiveNames() {
        #expect(name("Example.ORG") == name("example.org"))
        #expect(name("Example.ORG").hashValue == name("example.org").hashValue)
        #expect(name("example.org") != name("example.com"))
        #expect(name("Example.ORG").description == "Example.ORG")
    }

    @Test(
        "reverse names for PTR (RFC 1035 §3.5, RFC 3596 §2.5)",
        arguments: [
            ("127.0.0.2", "2.0.0.127.in-addr.arpa"),
            ("::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa"),
        ]
    )
    func reverseNames(address: String, reverse: String) throws {
        #expect(IPAddress(address)?.reverseName == name(reverse))
    }
}

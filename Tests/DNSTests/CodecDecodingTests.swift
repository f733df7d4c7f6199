import DNS
import MailTestSupport
import Testing

@Suite("Decoding responses (RFC 1035 §4.1)", .offThePool)
struct CodecDecodingTests {
    typealias W = WireBytes

    static let recordCases: [(DNSType, [UInt8], DNSRecordData)] = [
        (.a, [127, 0, 0, 1], .a(IPv4Address("127.0.0.1")!)),
        (.aaaa, [UInt8](repeating: 0, count: 15) + [1], .aaaa(IPv6Address("::1")!)),
        // MX 10 mail.example.org, the exchange compressed to the question's name (RFC 1035 §4.1.4).
        (
            .mx, [0, 10] + W.label("mail") + [0xC0, 0x0C],
            .mx(MXRecord(preference: 10, exchange: name("mail.example.org")))
        ),
        // RFC 7505 null MX: 0 and the root.
        (.mx, [0, 0, 0], .mx(MXRecord(preference: 0, exchange: .root))),
        // Two character-strings, read as one by SPF (RFC 7208 §3.3).
        (
            .txt, W.label("v=spf1 ip4:127.0.0.1") + W.label(" -all"),
            .txt(TXTRecord(strings: [Array("v=spf1 ip4:127.0.0.1".utf8), Array(" -all".utf8)]))
        ),
        (.cname, W.label("www") + [0xC0, 0x0C], .cname(name("www.example.org"))),
        (.ptr, W.label("host") + [0xC0, 0x0C], .ptr(name("host.example.org"))),
        (.ns, W.label("ns1") + [0xC0, 0x0C], .ns(name("ns1.example.org"))),
        (
            .tlsa, [3, 1, 1, 0xAB, 0xCD],
            .tlsa(
                TLSARecord(certificateUsage: 3, selector: 1, matchingType: 1, certificateAssociationData: [0xAB, 0xCD])
            )
        ),
        (
            .soa,
            W.label("ns") + [0xC0, 0x0C] + W.label("hostmaster") + [0xC0, 0x0C] + W.u32(2026) + W.u32(3600) + W.u32(600)
                + W.u32(86400) + W.u32(300),
            .soa(
                SOARecord(
                    mname: name("ns.example.org"),
                    rname: name("hostmaster.example.org"),
                    serial: 2026,
                    refresh: 3600,
                    retry: 600,
                    expire: 86400,
                    minimum: 300
                )
            )
        ),
        (.opt, [0, 10, 0, 2, 0xAA, 0xBB], .opt([EDNSOption(code: 10, data: [0xAA, 0xBB])])),
        (DNSType(rawValue: 99), [1, 2, 3], .unknown([1, 2, 3])),
    ]

    @Test("each record type is read from hand-built wire data", arguments: recordCases)
    func recordTypes(type: DNSType, rdata: [UInt8], expected: DNSRecordData) throws {
        let message = try DNSMessage.decode(W.response(type: type, rdata: rdata))
        #expect(message.header.id == 0x1234)
        #expect(message.header.isResponse && message.header.recursionDesired && message.header.recursionAvailable)
        #expect(message.questions == [DNSQuestion(name: name("example.org"), type: type)])
        #expect(message.answers.count == 1)
        #expect(message.answers.first?.name == name("example.org"))
        #expect(message.answers.first?.ttl == 3600)
        #expect(message.answers.first?.data == expected)
    }

    @Test("TXT strings are joined for SPF (RFC 7208 §3.3)")
    func txtJoined() {
        let txt = TXTRecord(strings: [Array("v=spf1 ip4:127.0.0.1".utf8), Array(" -all".utf8)])
        #expect(txt.text == Array("v=spf1 ip4:127.0.0.1 -all".utf8))
    }

    @Test(
        "RCODE and TC are read from the header",
        arguments: [
            (UInt8(0), false, DNSRCode.noError), (3, false, .nxDomain), (2, false, .servFail), (5, true, .refused),
        ]
    )
    func headerFlags(rcode: UInt8, truncated: Bool, expected: DNSRCode) throws {
        let bytes = W.header(rcode: rcode, truncated: truncated) + W.exampleOrg + [0, 1, 0, 1]
        let message = try DNSMessage.decode(bytes)
        #expect(message.rcode == expected)
        #expect(message.header.truncated == truncated)
    }

    @Test("the OPT record's upper RCODE bits extend the header's (RFC 6891 §6.1.3)")
    func extendedRCode() throws {
        // BADVERS = 16: header RCODE 0, OPT extended RCODE 1.
        let bytes = W.header(additionals: 1) + W.exampleOrg + [0, 1, 0, 1] + [0, 0, 41, 0x04, 0xD0, 1, 0, 0, 0, 0, 0]
        #expect(try DNSMessage.decode(bytes).rcode == DNSRCode(rawValue: 16))
    }

    static let malformed: [(String, [UInt8], DNSError)] = [
        ("pointer to itself", W.header() + [0xC0, 0x0C] + [0, 1, 0, 1], .compressionPointerNotBackwards(offset: 12)),
        (
            "forward pointer", W.header() + [0xC0, 0x0E, 0, 1, 0, 1] + W.exampleOrg,
            .compressionPointerNotBackwards(offset: 12)
        ),
        // A pointer back into a name that ends with a pointer to the first: each jump must go lower.
        (
            "pointer to the start of its own name (a loop)",
            W.header(questions: 2) + W.exampleOrg + [0, 1, 0, 1] + [1, 0x61, 0xC0, 0x1D] + [0, 1, 0, 1],
            .compressionPointerNotBackwards(offset: 31)
        ),
        (
            "label of 64 octets", W.header() + [64] + [UInt8](repeating: 0x61, count: 64) + [0, 0, 1, 0, 1],
            .labelTooLong(offset: 12)
        ),
        ("reserved label type 10", W.header() + [0x80, 0, 0, 1, 0, 1], .labelTooLong(offset: 12)),
        (
            "name of 256 octets",
            W.header() + Array(repeating: [63] + [UInt8](repeating: 0x61, count: 63), count: 4).flatMap { $0 } + [
                0, 0, 1, 0, 1,
            ], .nameTooLong(offset: 12)
        ),
        (
            "A with 5 octets", W.response(type: .a, rdata: [127, 0, 0, 1, 9]),
            .malformedRecordData(type: .a, offset: 41)
        ),
        (
            "AAAA with 4 octets", W.response(type: .aaaa, rdata: [127, 0, 0, 1]),
            .malformedRecordData(type: .aaaa, offset: 41)
        ),
        (
            "TXT string past RDLENGTH", W.response(type: .txt, rdata: [5, 0x61]),
            .malformedRecordData(type: .txt, offset: 41)
        ),
        ("MX too short", W.response(type: .mx, rdata: [0, 1]), .malformedRecordData(type: .mx, offset: 41)),
        ("CNAME name past RDLENGTH", W.response(type: .cname, rdata: [3, 0x61, 0x62]), .truncatedMessage(offset: 42)),
        (
            "RDLENGTH past the end",
            W.header(answers: 1) + W.exampleOrg + [0, 1, 0, 1, 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 1, 0, 9, 1],
            .truncatedMessage(offset: 41)
        ),
        (
            "counts larger than the message", W.header(answers: 65_535) + W.exampleOrg + [0, 1, 0, 1],
            .truncatedMessage(offset: 29)
        ),
        ("header cut short", [0x12, 0x34, 0x81], .truncatedMessage(offset: 2)),
    ]

    @Test("malformed messages throw typed errors", arguments: malformed)
    func malformedMessages(label: String, bytes: [UInt8], expected: DNSError) {
        #expect(throws: expected, "\(label)") { try DNSMessage.decode(bytes) }
    }

    @Test("a name of exactly 255 octets is read, one of 256 is not (RFC 1035 §2.3.4)")
    func nameAtTheLimit() throws {
        let longest =
            Array(repeating: [63] + [UInt8](repeating: 0x61, count: 63), count: 3).flatMap { $0 } + [61]
            + [UInt8](repeating: 0x62, count: 61) + [0]
        #expect(longest.count == 255)
        let message = try DNSMessage.decode(W.header() + longest + [0, 1, 0, 1])
        #expect(message.questions.first?.name.wireLength == 255)
        var tooLong = longest
        tooLong[192] = 62
        tooLong.insert(0x62, at: 193)
        #expect(throws: DNSError.nameTooLong(offset: 12)) {
            try DNSMessage.decode(W.header() + tooLong + [0, 1, 0, 1])
        }
    }

    @Test("a message cut at every offset throws, never traps", arguments: recordCases.map { $0.0 })
    func everyTruncation(type: DNSType) throws {
        let rdata = Self.recordCases.first { $0.0 == type }!.1
        // An answer, an authority SOA and an OPT: every section and a compressed name in each.
        var bytes = W.response(type: type, rdata: rdata)
        bytes[9] = 1
        bytes[11] = 1
        let soa =
            W.label("ns") + [0xC0, 0x0C] + W.label("h") + [0xC0, 0x0C] + W.u32(1) + W.u32(2) + W.u32(3) + W.u32(4)
            + W.u32(5)
        bytes += [0xC0, 0x0C, 0, 6, 0, 1, 0, 0, 0, 60] + W.u16(UInt16(soa.count)) + soa
        bytes += [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]
        let full = try DNSMessage.decode(bytes)
        #expect(full.authorities.count == 1 && full.additionals.count == 1)
        for cut in 0..<bytes.count {
            #expect(throws: DNSError.self, "cut at \(cut)") { try DNSMessage.decode(Array(bytes[..<cut])) }
        }
    }
}

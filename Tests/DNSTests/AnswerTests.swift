import DNS
import MailTestSupport
import Testing

@Suite("Reading an answer: CNAME chains, NXDOMAIN, NODATA (RFC 1034 §4.3.2, RFC 2308)", .offThePool)
struct AnswerTests {
    static let question = DNSQuestion(name: name("www.example.test"), type: .a)
    static let soa = TestZone.soa(ttl: 300, minimum: 60)

    static func response(
        rcode: DNSRCode = .noError,
        answers: [DNSResourceRecord],
        authorities: [DNSResourceRecord] = []
    ) -> DNSMessage {
        var header = DNSHeader(id: 1)
        header.isResponse = true
        header.rcode = UInt8(rcode.rawValue)
        return DNSMessage(header: header, questions: [question], answers: answers, authorities: authorities)
    }

    static let chain = (0..<9).map { cname("c\($0).example.test", "c\($0 + 1).example.test") }

    static let cases: [(String, DNSMessage, DNSAnswer)] = [
        (
            "records, least TTL",
            response(answers: [
                a("www.example.test", "127.0.0.2", ttl: 300), a("www.example.test", "127.0.0.3", ttl: 100),
            ]),
            .records(
                [a("www.example.test", "127.0.0.2", ttl: 300), a("www.example.test", "127.0.0.3", ttl: 100)],
                ttl: 100
            )
        ),
        (
            "CNAME chain followed, TTL includes the CNAMEs",
            response(answers: [
                cname("www.example.test", "web.example.test", ttl: 50), cname("web.example.test", "host.example.test"),
                a("host.example.test", "127.0.0.4"),
            ]),
            .records([a("host.example.test", "127.0.0.4")], ttl: 50)
        ),
        (
            "records of another name are not taken",
            response(answers: [a("evil.example.test", "127.0.0.9")], authorities: [soa]), .nodata(negativeTTL: 60)
        ),
        (
            "NXDOMAIN with SOA: negative TTL is min(SOA TTL, MINIMUM)",
            response(rcode: .nxDomain, answers: [], authorities: [soa]), .nxdomain(negativeTTL: 60)
        ),
        ("NXDOMAIN without SOA is not cacheable", response(rcode: .nxDomain, answers: []), .nxdomain(negativeTTL: nil)),
        (
            "NXDOMAIN at the end of a CNAME (RFC 6604)",
            response(rcode: .nxDomain, answers: [cname("www.example.test", "gone.example.test")]),
            .nxdomain(negativeTTL: nil)
        ),
        (
            "NODATA: NOERROR and no records", response(answers: [], authorities: [TestZone.soa(ttl: 30, minimum: 60)]),
            .nodata(negativeTTL: 30)
        ),
        (
            "dangling CNAME is NODATA", response(answers: [cname("www.example.test", "elsewhere.example.test")]),
            .nodata(negativeTTL: nil)
        ),
        ("SERVFAIL", response(rcode: .servFail, answers: []), .serverFailure(.servFail)),
        ("REFUSED", response(rcode: .refused, answers: []), .serverFailure(.refused)),
        (
            "CNAME loop",
            response(answers: [
                cname("www.example.test", "loop.example.test"), cname("loop.example.test", "www.example.test"),
            ]), .cnameChainTooLong
        ),
    ]

    @Test("responses are read as the answer to the question", arguments: cases)
    func interpret(label: String, response: DNSMessage, expected: DNSAnswer) {
        #expect(DNSAnswer.interpret(response, for: Self.question) == expected, "\(label)")
    }

    @Test("a chain of 8 CNAMEs is followed, one of 9 is not", arguments: [(8, true), (9, false)])
    func cnameHops(hops: Int, followed: Bool) {
        let question = DNSQuestion(name: name("c0.example.test"), type: .a)
        let target = a("c\(hops).example.test", "127.0.0.5")
        var header = DNSHeader(id: 1)
        header.isResponse = true
        let response = DNSMessage(
            header: header,
            questions: [question],
            answers: Array(Self.chain[0..<hops]) + [target]
        )
        let answer = DNSAnswer.interpret(response, for: question)
        #expect(answer == (followed ? .records([target], ttl: 600) : .cnameChainTooLong))
    }

    @Test(
        "a response matches its query only with the same ID, QR and question (RFC 5452 §9.1)",
        arguments: [
            (UInt16(1), true, "www.example.test", DNSType.a, true),
            (1, true, "WWW.Example.TEST", .a, true),
            (2, true, "www.example.test", .a, false),
            (1, false, "www.example.test", .a, false),
            (1, true, "other.example.test", .a, false),
            (1, true, "www.example.test", .aaaa, false),
        ]
    )
    func matching(id: UInt16, isResponse: Bool, questionName: String, type: DNSType, matches: Bool) {
        var header = DNSHeader(id: id)
        header.isResponse = isResponse
        let response = DNSMessage(header: header, questions: [DNSQuestion(name: name(questionName), type: type)])
        #expect(DNSResponseMatching.matches(response, id: 1, question: Self.question) == matches)
    }
}

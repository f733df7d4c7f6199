import DNS
import MailAuth
import MailTestSupport
import Testing

@Suite("DMARC (RFC 7489) and the Public Suffix List", .offThePool)
struct DMARCTests {
    @Test(
        "organisational domains from the embedded list",
        arguments: [
            ("example.com", "example.com"), ("mail.example.com", "example.com"), ("a.b.example.co.uk", "example.co.uk"),
            ("co.uk", "co.uk"), ("com", "com"), ("foo.bar.github.io", "bar.github.io"), ("EXAMPLE.ORG.", "example.org"),
            ("a.b.c.kawasaki.jp", "b.c.kawasaki.jp"), ("a.city.kawasaki.jp", "city.kawasaki.jp"),
            ("mail.xn--55qx5d.cn", "mail.xn--55qx5d.cn"), ("a.mail.xn--55qx5d.cn", "mail.xn--55qx5d.cn"),
            ("host.unlisted-tld", "host.unlisted-tld"),
        ]
    )
    func organizationalDomain(domain: String, expected: String) {
        #expect(PublicSuffixList.shared.organizationalDomain(of: domain) == expected)
    }

    @Test("record parsing: defaults, p from rua, and bad records")
    func records() throws {
        let record = try DMARCRecord(parsing: Array("v=DMARC1; p=reject; sp=quarantine; adkim=s; pct=50".utf8))
        #expect(record.policy == .reject)
        #expect(record.subdomainPolicy == .quarantine)
        #expect(record.dkimAlignment == .strict)
        #expect(record.spfAlignment == .relaxed)
        #expect(record.percentage == 50)
        #expect(
            try DMARCRecord(parsing: Array("v=DMARC1; rua=mailto:d@example.com".utf8)).policy == DMARCRecord.Policy.none
        )
        #expect(throws: DMARCRecord.SyntaxError.self) { try DMARCRecord(parsing: Array("v=DMARC1; p=maybe".utf8)) }
        #expect(throws: DMARCRecord.SyntaxError.self) { try DMARCRecord(parsing: Array("p=reject; v=DMARC1".utf8)) }
        #expect(throws: DMARCRecord.SyntaxError.self) {
            try DMARCRecord(parsing: Array("v=DMARC1; p=none; pct=101".utf8))
        }
    }

    static let zone = FixedZone(
        txt: [
            "_dmarc.example.com": ["v=DMARC1; p=reject; sp=quarantine"],
            "_dmarc.strict.test": ["v=DMARC1; p=reject; adkim=s; aspf=s"],
            "_dmarc.sampled.test": ["v=DMARC1; p=reject; pct=20"],
            "_dmarc.none.test": ["v=DMARC1; p=none"],
            "_dmarc.two.test": ["v=DMARC1; p=reject", "v=DMARC1; p=none"],
        ],
        failing: ["_dmarc.down.test"]
    )

    static func fields(from: String) -> MessageFields {
        MessageFields(Array("From: Someone <\(from)>\r\nSubject: x\r\n\r\nbody\r\n".utf8))
    }

    static func spf(_ result: SPFResult, _ domain: String) -> SPFVerdict {
        SPFVerdict(result: result, identity: "bounce@\(domain)", domain: domain, checkedHELO: false)
    }

    static func dkim(_ status: DKIMResult.Status, _ domain: String) -> DKIMResult {
        DKIMResult(status: status, domain: domain, selector: "s")
    }

    static func evaluate(_ from: String, spf: SPFVerdict?, dkim: [DKIMResult], sample: Int = 0) async -> DMARCVerdict {
        await DMARCEvaluator(resolver: zone, sample: { sample }).evaluate(
            message: fields(from: from),
            spf: spf,
            dkim: dkim
        )
    }

    @Test("alignment: relaxed accepts the same organisational domain, strict only the same name")
    func alignment() async {
        #expect(
            await Self.evaluate("a@example.com", spf: Self.spf(.pass, "bounces.example.com"), dkim: []).result == .pass
        )
        #expect(
            await Self.evaluate("a@example.com", spf: nil, dkim: [Self.dkim(.pass, "mail.example.com")]).result == .pass
        )
        #expect(await Self.evaluate("a@strict.test", spf: Self.spf(.pass, "b.strict.test"), dkim: []).result == .fail)
        #expect(await Self.evaluate("a@strict.test", spf: nil, dkim: [Self.dkim(.pass, "strict.test")]).result == .pass)
        // A pass for another domain, or a failed aligned signature, is no pass.
        let spoofed = await Self.evaluate(
            "ceo@example.com",
            spf: Self.spf(.pass, "attacker.test"),
            dkim: [Self.dkim(.fail, "example.com"), Self.dkim(.pass, "attacker.test")]
        )
        #expect(spoofed.result == .fail)
        #expect(spoofed.disposition == .reject)
        #expect(spoofed.fromDomain == "example.com")
    }

    @Test("p, sp at the organisational domain, pct sampling, discovery failures")
    func policies() async {
        let subdomain = await Self.evaluate("a@news.example.com", spf: nil, dkim: [])
        #expect(subdomain.result == .fail)
        #expect(subdomain.requestedPolicy == .quarantine)
        #expect(await Self.evaluate("a@sampled.test", spf: nil, dkim: [], sample: 10).disposition == .reject)
        #expect(await Self.evaluate("a@sampled.test", spf: nil, dkim: [], sample: 20).disposition == .quarantine)
        #expect(await Self.evaluate("a@none.test", spf: nil, dkim: []).disposition == DMARCRecord.Policy.none)
        #expect(await Self.evaluate("a@nowhere.test", spf: nil, dkim: []).result == .none)
        #expect(await Self.evaluate("a@two.test", spf: nil, dkim: []).result == .none)
        #expect(await Self.evaluate("a@down.test", spf: nil, dkim: []).result == .temperror)
        let twoFroms = MessageFields(Array("From: a@example.com\r\nFrom: b@example.com\r\n\r\n".utf8))
        #expect(
            await DMARCEvaluator(resolver: Self.zone).evaluate(message: twoFroms, spf: nil, dkim: []).result
                == .permerror
        )
    }
}

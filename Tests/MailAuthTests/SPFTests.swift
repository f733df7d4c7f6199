import DNS
import MailAuth
import MailTestSupport
import Testing

@Suite("SPF (RFC 7208)", .offThePool)
struct SPFTests {
    static let v4 = IPAddress("192.0.2.3")!
    static let v6 = IPAddress("2001:db8::cb01")!

    @Test(
        "§7.4's macro examples",
        arguments: [
            ("%{s}", "strong-bad@email.example.com"), ("%{o}", "email.example.com"), ("%{d}", "email.example.com"),
            ("%{d4}", "email.example.com"), ("%{d3}", "email.example.com"), ("%{d2}", "example.com"), ("%{d1}", "com"),
            ("%{dr}", "com.example.email"), ("%{d2r}", "example.email"), ("%{l}", "strong-bad"),
            ("%{l-}", "strong.bad"),
            ("%{lr}", "strong-bad"), ("%{lr-}", "bad.strong"), ("%{l1r-}", "strong"),
            ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
            ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
            ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
            ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
            ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
            ("%{h}%%%_%-", "mx.example.org% %20"),
        ]
    )
    func macros(macro: String, expected: String) {
        let context = SPFMacro(
            sender: "strong-bad@email.example.com",
            domain: "email.example.com",
            client: Self.v4,
            helo: "mx.example.org"
        )
        #expect(context.expand(macro) == expected)
    }

    @Test("§7.4: the IPv6 example, and malformed macros")
    func macrosIPv6() {
        let context = SPFMacro(
            sender: "strong-bad@email.example.com",
            domain: "email.example.com",
            client: Self.v6,
            helo: "h"
        )
        #expect(
            context.expand("%{ir}.%{v}._spf.%{d2}")
                == "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        )
        #expect(context.expand("%{x}") == nil)
        #expect(context.expand("%{d") == nil)
        #expect(context.expand("100%") == nil)
        #expect(context.expand("%{c}") == nil)  // explanations only
        #expect(context.expand("%{c}", explanation: true) == "2001:db8::cb01")
    }

    static let zone = FixedZone(
        txt: [
            "example.com": [
                "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.net mx a:web.example.com/28 -all"
            ],
            "_spf.example.net": ["v=spf1 ip4:198.51.100.7 ~all"],
            "soft.example.com": ["v=spf1 ~all"],
            "neutral.example.com": ["v=spf1 ?all"],
            "redirected.example.com": ["v=spf1 redirect=example.com"],
            "redirect-none.example.com": ["v=spf1 redirect=nowhere.example.com"],
            "two.example.com": ["v=spf1 -all", "v=spf1 +all"],
            "broken.example.com": ["v=spf1 ip4:192.0.2.300 -all"],
            "unknown-mod.example.com": ["v=spf1 foo=bar ip4:192.0.2.3 -all"],
            "other.example.com": ["some other text", "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all"],
            "3.2.0.192.strong._spf.other.example.com": [],
            "include-broken.example.com": ["v=spf1 include:broken.example.com -all"],
            "include-none.example.com": ["v=spf1 include:nowhere.example.com -all"],
            "include-fails.example.com": ["v=spf1 include:soft.example.com -all"],
            "tempfail.example.com": ["v=spf1 include:down.example.com -all"],
            "voids.example.com": ["v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com -all"],
            "twovoids.example.com": ["v=spf1 a:n1.example.com a:n2.example.com ip4:192.0.2.3 -all"],
            "ptr.example.com": ["v=spf1 ptr -all"],
            "cidr.example.com": ["v=spf1 a/24//64 -all"],
        ],
        addresses: [
            "web.example.com": ["203.0.113.20"],
            "mx1.example.com": ["203.0.113.30", "2001:db9::1"],
            "3.2.0.192.strong._spf.other.example.com": ["127.0.0.2"],
            "mail.ptr.example.com": ["192.0.2.3"],
            "cidr.example.com": ["198.51.100.1", "2001:db9:1::1"],
        ],
        mx: ["example.com": [(10, "mx1.example.com")]],
        ptr: ["192.0.2.3": ["mail.ptr.example.com", "liar.example.net"]],
        failing: ["down.example.com"]
    )

    static func check(
        _ ip: String,
        _ sender: String,
        helo: String = "helo.example.org",
        zone: FixedZone = zone
    ) async -> SPFVerdict {
        await SPFChecker(resolver: zone).check(client: IPAddress(ip)!, helo: helo, mailFrom: sender)
    }

    @Test(
        "mechanisms, qualifiers and modifiers",
        arguments: [
            ("192.0.2.99", "a@example.com", SPFResult.pass),  // ip4
            ("2001:db8:5::1", "a@example.com", .pass),  // ip6
            ("198.51.100.7", "a@example.com", .pass),  // include
            ("198.51.100.8", "a@example.com", .fail),  // include's ~all does not match; -all
            ("203.0.113.30", "a@example.com", .pass),  // mx
            ("2001:db9::1", "a@example.com", .pass),  // mx, IPv6
            ("203.0.113.17", "a@example.com", .pass),  // a:web/28
            ("203.0.113.40", "a@example.com", .fail),
            ("203.0.113.250", "a@soft.example.com", .softfail),
            ("203.0.113.250", "a@neutral.example.com", .neutral),
            ("192.0.2.1", "a@redirected.example.com", .pass),
            ("203.0.113.250", "a@redirected.example.com", .fail),
            ("203.0.113.250", "a@redirect-none.example.com", .permerror),
            ("203.0.113.250", "a@nowhere.example.com", .none),
            ("203.0.113.250", "a@two.example.com", .permerror),
            ("203.0.113.250", "a@broken.example.com", .permerror),
            ("192.0.2.3", "a@unknown-mod.example.com", .pass),
            ("192.0.2.3", "strong-bad@other.example.com", .pass),  // exists with macros
            ("192.0.2.4", "strong-bad@other.example.com", .fail),
            ("203.0.113.250", "a@include-broken.example.com", .permerror),
            ("203.0.113.250", "a@include-none.example.com", .permerror),
            ("203.0.113.250", "a@include-fails.example.com", .fail),
            ("203.0.113.250", "a@tempfail.example.com", .temperror),
            ("203.0.113.250", "a@voids.example.com", .permerror),  // third void look-up
            ("192.0.2.3", "a@twovoids.example.com", .pass),  // two are allowed
            ("192.0.2.3", "a@ptr.example.com", .pass),
            ("192.0.2.4", "a@ptr.example.com", .fail),
            ("198.51.100.200", "a@cidr.example.com", .pass),
            ("2001:db9:1::ffff", "a@cidr.example.com", .pass),
            ("2001:db9:2::1", "a@cidr.example.com", .fail),
            ("203.0.113.250", "a@bad..name", .none),
        ]
    )
    func results(ip: String, sender: String, expected: SPFResult) async {
        let verdict = await Self.check(ip, sender)
        #expect(verdict.result == expected, "\(verdict.reason ?? "")")
    }

    @Test("the null sender is checked as postmaster@HELO (§2.4)")
    func nullSender() async {
        let verdict = await Self.check("192.0.2.9", "", helo: "example.com")
        #expect(verdict.result == .pass)
        #expect(verdict.identity == "postmaster@example.com")
        #expect(verdict.checkedHELO)
    }

    @Test("more than 10 DNS-querying terms is a permerror (§4.6.4)")
    func termLimit() async {
        var zone = FixedZone()
        let includes = (1...11).map { "include:i\($0).example.com" }.joined(separator: " ")
        zone.txt["many.example.com"] = ["v=spf1 \(includes) -all"]
        for index in 1...11 { zone.txt["i\(index).example.com"] = ["v=spf1 ip4:192.0.2.\(100 + index) -all"] }
        #expect(await Self.check("192.0.2.110", "a@many.example.com", zone: zone).result == .pass)
        #expect(await Self.check("192.0.2.111", "a@many.example.com", zone: zone).result == .permerror)
        // A loop of includes ends at the limit too.
        zone.txt["loop.example.com"] = ["v=spf1 include:loop.example.com -all"]
        #expect(await Self.check("203.0.113.250", "a@loop.example.com", zone: zone).result == .permerror)
    }

    @Test(
        "record syntax",
        arguments: [
            "v=spf1 -all", "V=SPF1 a mx/24 ip4:203.0.113.0/24 ip6:::1/128 exists:%{i}.x.example ?all",
            "v=spf1 redirect=_spf.example.com",
        ]
    )
    func validRecords(record: String) throws {
        _ = try SPFRecord(parsing: Array(record.utf8))
    }

    @Test(
        "records that are permerrors",
        arguments: [
            "v=spf1 ip4:203.0.113.0/33", "v=spf1 a:foo", "v=spf1 include", "v=spf1 allx",
            "v=spf1 redirect=a.example redirect=b.example", "v=spf1 mx//129", "v=spf1 exists:%{q}.example.com",
        ]
    )
    func invalidRecords(record: String) {
        #expect(throws: SPFRecord.SyntaxError.self) { try SPFRecord(parsing: Array(record.utf8)) }
    }
}

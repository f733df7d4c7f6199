import MailTestSupport
import Testing

@testable import MTASTS

@Suite(.offThePool) struct STSPolicyParsing {
    /// RFC 8461 §3.2's example policy.
    static let rfcExample =
        "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n"

    @Test func theRFCExample() throws {
        let policy = try STSPolicy.parse(Self.rfcExample)
        #expect(policy.mode == .enforce)
        #expect(policy.mx == ["mail.example.com", "*.example.net", "backupmx.example.com"])
        #expect(policy.maxAge == 604800)
        #expect(
            policy.lines == [
                "version: STSv1", "mode: enforce", "mx: mail.example.com", "mx: *.example.net",
                "mx: backupmx.example.com", "max_age: 604800",
            ]
        )
    }

    @Test func bareLineFeedsSpacesAndUnknownKeysAreAccepted() throws {
        let policy = try STSPolicy.parse(
            "version:STSv1\nmode:   testing \nmx: MX.Example.ORG\nmax_age: 86400\nextension_1: whatever\n"
        )
        #expect(policy == STSPolicy(mode: .testing, mx: ["mx.example.org"], maxAge: 86400))
    }

    @Test func modeNoneNeedsNoMX() throws {
        #expect(
            try STSPolicy.parse("version: STSv1\nmode: none\nmax_age: 0\n") == STSPolicy(mode: .none, mx: [], maxAge: 0)
        )
    }

    @Test func theFirstOfARepeatedFieldCounts() throws {
        let policy = try STSPolicy.parse(
            "version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\nmax_age: 10\nmax_age: 20"
        )
        #expect(policy.mode == .testing)
        #expect(policy.maxAge == 10)
    }

    @Test(arguments: [
        ("", STSPolicyError.missingField("version")),
        ("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1", .badValue(field: "version", value: "STSv2")),
        ("version: STSv1\nmx: a.example\nmax_age: 1", .missingField("mode")),
        ("version: STSv1\nmode: reject\nmx: a.example\nmax_age: 1", .badValue(field: "mode", value: "reject")),
        ("version: STSv1\nmode: enforce\nmx: a.example", .missingField("max_age")),
        (
            "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601",
            .badValue(field: "max_age", value: "31557601")
        ),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1", .badValue(field: "max_age", value: "-1")),
        (
            "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901",
            .badValue(field: "max_age", value: "12345678901")
        ),
        ("version: STSv1\nmode: enforce\nmax_age: 86400", .missingField("mx")),
        ("version: STSv1\nmode: enforce\nmx: *.com\nmax_age: 86400", .badValue(field: "mx", value: "*.com")),
        (
            "version: STSv1\nmode: enforce\nmx: mail..example\nmax_age: 86400",
            .badValue(field: "mx", value: "mail..example")
        ),
        ("version: STSv1\nmode enforce\nmx: a.example\nmax_age: 1", .malformedLine("mode enforce")),
        ("<html>\nversion: STSv1", .malformedLine("<html>")),
    ])
    func badPoliciesAreRefused(text: String, error: STSPolicyError) {
        #expect(throws: error) { try STSPolicy.parse(text) }
    }
}

@Suite(.offThePool) struct MXMatching {
    let policy = STSPolicy(mode: .enforce, mx: ["mail.example.com", "*.example.net"], maxAge: 86400)

    @Test func exactNamesMatchWhateverTheCaseOrTrailingDot() {
        #expect(policy.matches("mail.example.com"))
        #expect(policy.matches("MAIL.Example.COM."))
        #expect(!policy.matches("mail2.example.com"))
        #expect(!policy.matches("example.com"))
    }

    /// RFC 8461 §4.1: "*.example.com" matches "mail.example.com" but not "example.com" or
    /// "foo.bar.example.com".
    @Test func aWildcardCoversExactlyOneLeftmostLabel() {
        #expect(policy.matches("mx1.example.net"))
        #expect(!policy.matches("example.net"))
        #expect(!policy.matches("foo.bar.example.net"))
        #expect(!policy.matches("evilexample.net"))
    }
}

@Suite(.offThePool) struct TXTRecords {
    @Test func theSTSRecordOfRFC8461() {
        #expect(TXTDirective.stsID(["v=STSv1; id=20160831085700Z;"]) == "20160831085700Z")
        #expect(TXTDirective.stsID(["v=spf1 -all", "v=STSv1;id=abc"]) == "abc")
    }

    @Test func noneOrSeveralOrBadRecordsMeanNoPolicy() {
        #expect(TXTDirective.stsID([]) == nil)
        #expect(TXTDirective.stsID(["v=STSv1; id=a", "v=STSv1; id=b"]) == nil)
        #expect(TXTDirective.stsID(["id=a; v=STSv1"]) == nil)
        #expect(TXTDirective.stsID(["v=STSv1; id=not-alnum"]) == nil)
        #expect(TXTDirective.stsID(["v=STSv1; id=" + String(repeating: "a", count: 33)]) == nil)
        #expect(TXTDirective.stsID(["v=STSv1"]) == nil)
    }

    @Test func theTLSRPTRecordOfRFC8460() {
        #expect(
            TXTDirective.reportingURIs(["v=TLSRPTv1;rua=mailto:reports@example.com"]) == ["mailto:reports@example.com"]
        )
        #expect(
            TXTDirective.reportingURIs(["v=TLSRPTv1; rua=mailto:a@example.com, https://reporting.example.com/v1/tlsrpt"]
            )
                == ["mailto:a@example.com", "https://reporting.example.com/v1/tlsrpt"]
        )
        #expect(TXTDirective.reportingURIs(["v=TLSRPTv1;"]) == nil)
        #expect(
            TXTDirective.reportingURIs(["v=TLSRPTv1; rua=mailto:a@x.example", "v=TLSRPTv1; rua=mailto:b@x.example"])
                == nil
        )
    }

    @Test func mailtoURIsGiveTheirMailbox() {
        #expect(TXTDirective.mailbox("mailto:tls%2Breports@example.com?subject=x") == "tls+reports@example.com")
        #expect(TXTDirective.mailbox("https://example.com/") == nil)
        #expect(TXTDirective.mailbox("mailto:nobody") == nil)
    }
}

import DNS
import MailAuth
import MailTestSupport
import Testing

@Suite("Authentication-Results (RFC 8601)", .offThePool)
struct AuthenticationResultsTests {
    @Test("the field: one result a line, values quoted when they must be")
    func field() {
        let results = AuthenticationResults(
            authservID: "mx.example.org",
            entries: [
                .init(method: "spf", result: "pass", properties: [("smtp.mailfrom", "alice@example.com")]),
                .init(
                    method: "dkim",
                    result: "fail",
                    reason: "body hash did not verify",
                    properties: [("header.d", "example.com"), ("header.b", "abc/+def")]
                ),
            ]
        )
        #expect(
            String(decoding: results.field, as: UTF8.self)
                == "Authentication-Results: mx.example.org;\r\n\tspf=pass smtp.mailfrom=alice@example.com;\r\n"
                + "\tdkim=fail reason=\"body hash did not verify\" header.d=example.com header.b=\"abc/+def\"\r\n"
        )
        #expect(
            String(decoding: AuthenticationResults(authservID: "mx", entries: []).field, as: UTF8.self)
                == "Authentication-Results: mx; none\r\n"
        )
    }

    @Test("fields claiming correo's authserv-id are stripped; others stay")
    func strip() {
        let message = Array(
            ("Authentication-Results: MX.example.org; dkim=pass\r\n"
                + "Authentication-Results: (forged) mx.example.org;\r\n\tspf=pass\r\n"
                + "Authentication-Results: other.example.net; spf=fail\r\n"
                + "Subject: hi\r\n\r\nbody\r\n").utf8
        )
        let stripped = String(decoding: AuthenticationResults.strip(message, claiming: "mx.example.org"), as: UTF8.self)
        #expect(stripped == "Authentication-Results: other.example.net; spf=fail\r\nSubject: hi\r\n\r\nbody\r\n")
        let untouched = Array("Subject: hi\r\n\r\nbody".utf8)
        #expect(AuthenticationResults.strip(untouched, claiming: "mx.example.org") == untouched)
    }

    @Test("the whole check: a spoofed From of a p=reject domain is rejected, and the header says why")
    func messageAuthenticator() async throws {
        let zone = FixedZone(txt: [
            "example.com": ["v=spf1 ip4:192.0.2.0/24 -all"],
            "_dmarc.example.com": ["v=DMARC1; p=reject"],
        ])
        let authenticator = MessageAuthenticator(authservID: "mx.example.org", resolver: zone, sample: { 0 })
        let message = Array(
            ("Authentication-Results: mx.example.org; dmarc=pass\r\nFrom: ceo@example.com\r\nSubject: wire money\r\n\r\nnow\r\n")
                .utf8
        )
        let spoofed = await authenticator.check(
            message,
            client: IPAddress("203.0.113.9")!,
            helo: "evil.test",
            mailFrom: "ceo@example.com"
        )
        #expect(spoofed.spf?.result == .fail)
        #expect(spoofed.dmarc?.result == .fail)
        #expect(spoofed.disposition == .reject)
        let delivered = String(decoding: spoofed.apply(to: message), as: UTF8.self)
        #expect(delivered.hasPrefix("Authentication-Results: mx.example.org;\r\n\tspf=fail"))
        #expect(delivered.contains("dkim=none"))
        #expect(
            delivered.contains(
                "dmarc=fail reason=\"no aligned SPF or DKIM pass\" header.from=example.com policy.dmarc=reject"
            )
        )
        #expect(!delivered.contains("dmarc=pass"))

        let genuine = await authenticator.check(
            message,
            client: IPAddress("::ffff:192.0.2.7")!,
            helo: "mail.example.com",
            mailFrom: "ceo@example.com"
        )
        #expect(genuine.spf?.result == .pass)
        #expect(genuine.dmarc?.result == .pass)
        #expect(genuine.disposition == DMARCRecord.Policy.none)
    }

    /// The spoofed message of `messageAuthenticator()`, checked with only `checks` on.
    static func spoofed(_ checks: MessageAuthenticator.Checks) async -> MessageAuthenticator.Verdict {
        let zone = FixedZone(txt: [
            "example.com": ["v=spf1 ip4:192.0.2.0/24 -all"],
            "_dmarc.example.com": ["v=DMARC1; p=reject"],
        ])
        let authenticator = MessageAuthenticator(
            authservID: "mx.example.org",
            resolver: zone,
            checks: checks,
            sample: { 0 }
        )
        let message = Array("From: ceo@example.com\r\nSubject: wire money\r\n\r\nnow\r\n".utf8)
        return await authenticator.check(
            message,
            client: IPAddress("203.0.113.9")!,
            helo: "evil.test",
            mailFrom: "ceo@example.com"
        )
    }

    /// The methods of the field, in order.
    static func methods(_ verdict: MessageAuthenticator.Verdict) -> [String] {
        verdict.results.entries.map(\.method)
    }

    @Test("each check can be turned off: the field lists only the checks that ran")
    func checksTurnedOff() async {
        let noSPF = await Self.spoofed(.init(spf: false))
        #expect(noSPF.spf == nil)
        #expect(Self.methods(noSPF) == ["dkim", "dmarc"])
        // DMARC goes by DKIM alone, which has no signature: still a failure of a p=reject domain.
        #expect(noSPF.dmarc?.result == .fail)
        #expect(noSPF.disposition == .reject)

        let noDKIM = await Self.spoofed(.init(dkim: false))
        #expect(noDKIM.dkim == nil)
        #expect(Self.methods(noDKIM) == ["spf", "dmarc"])
        #expect(noDKIM.disposition == .reject)

        let noDMARC = await Self.spoofed(.init(dmarc: false))
        #expect(noDMARC.dmarc == nil)
        #expect(Self.methods(noDMARC) == ["spf", "dkim"])
        #expect(noDMARC.spf?.result == .fail)
        // Nothing asks for a refusal without DMARC.
        #expect(noDMARC.disposition == DMARCRecord.Policy.none)
    }

    @Test("DMARC with neither SPF nor DKIM is skipped: nothing to evaluate, the message is delivered")
    func dmarcWithoutSPFOrDKIMIsSkipped() async {
        let checks = MessageAuthenticator.Checks(spf: false, dkim: false)
        #expect(!checks.evaluatesDMARC)
        let verdict = await Self.spoofed(checks)
        #expect(verdict.spf == nil && verdict.dkim == nil && verdict.dmarc == nil)
        #expect(verdict.disposition == DMARCRecord.Policy.none)
        #expect(
            String(decoding: verdict.results.field, as: UTF8.self) == "Authentication-Results: mx.example.org; none\r\n"
        )
    }
}

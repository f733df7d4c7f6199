import Crypto
import DNS
import MailAuth
import MailTestSupport
import Testing

@Suite("DKIM signing and verification", .offThePool)
struct DKIMTests {
    /// RFC 8463 Appendix A.3: one message signed twice by football.example.com.
    static let rfc8463Message = Array(
        ("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
            + " d=football.example.com; i=@football.example.com;\r\n"
            + " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
            + " subject : date : message-id : from : subject : date;\r\n"
            + " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
            + " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
            + " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
            + "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
            + " d=football.example.com; i=@football.example.com;\r\n"
            + " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
            + " date : message-id : from : subject : date;\r\n"
            + " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
            + " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
            + " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
            + " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
            + "From: Joe SixPack <joe@football.example.com>\r\n"
            + "To: Suzie Q <suzie@shopping.example.net>\r\n"
            + "Subject: Is dinner ready?\r\n"
            + "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
            + "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
            + "\r\n"
            + "Hi.\r\n"
            + "\r\n"
            + "We lost the game.  Are you hungry yet?\r\n"
            + "\r\n"
            + "Joe.\r\n"
            + "\r\n").utf8
    )

    /// RFC 8463 Appendix A.2's key records.
    static let rfc8463Zone = FixedZone(txt: [
        "brisbane._domainkey.football.example.com": [
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        ],
        "test._domainkey.football.example.com": [
            "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
        ],
    ])

    static let now = 1_700_000_000

    @Test("RFC 8463 A.3: both signatures of the test message verify")
    func rfc8463() async {
        let results = await DKIMVerifier(resolver: Self.rfc8463Zone).verify(Self.rfc8463Message, now: Self.now)
        #expect(results.map(\.status) == [.pass, .pass])
        #expect(results.map(\.algorithm) == [.ed25519SHA256, .rsaSHA256])
        #expect(results.map(\.selector) == ["brisbane", "test"])
        #expect(results.first?.signaturePrefix == "/gCrinpc")
    }

    @Test("RFC 8463 A.1/A.2: the RFC's Ed25519 private key gives its published public key, also after the PEM key file")
    func rfc8463Signer() throws {
        let seed = Base64Bytes.decode("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        #expect(DKIMPrivateKey.ed25519(key).publicKeyBase64 == "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
        // PEM round trip (the key file's form).
        let pem = DKIMPrivateKey.ed25519(key).pem
        #expect(DKIMPrivateKey(pem: pem)?.publicKeyBase64 == "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    }

    @Test("a changed body or header fails; the other signature is judged on its own")
    func tampering() async {
        var body = Self.rfc8463Message
        body[body.count - 5] = UInt8(ascii: "X")  // "Joe." -> "JoX."
        let bodyResults = await DKIMVerifier(resolver: Self.rfc8463Zone).verify(body, now: Self.now)
        #expect(bodyResults.map(\.status) == [.fail, .fail])
        #expect(bodyResults.first?.reason == "body hash did not verify")

        let text = String(decoding: Self.rfc8463Message, as: UTF8.self)
        let header = Array(text.replacingOccurrences(of: "Is dinner ready?", with: "Is dinner late?").utf8)
        let headerResults = await DKIMVerifier(resolver: Self.rfc8463Zone).verify(header, now: Self.now)
        #expect(headerResults.map(\.status) == [.fail, .fail])
        #expect(headerResults.first?.reason == "signature did not verify")

        // Without the Ed25519 key, that signature is a permerror and the RSA one still passes.
        var zone = Self.rfc8463Zone
        zone.txt["brisbane._domainkey.football.example.com"] = nil
        let partial = await DKIMVerifier(resolver: zone).verify(Self.rfc8463Message, now: Self.now)
        #expect(partial.map(\.status) == [.permerror, .pass])
    }

    static let message = Array(
        ("From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Lunch\r\n"
            + "Date: Thu, 03 Dec 2026 12:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n\r\nSee you  at noon.  \r\n\r\n\r\n").utf8
    )

    static func zone(for signers: [DKIMSigner]) -> FixedZone {
        var zone = FixedZone()
        for signer in signers {
            zone.txt["\(signer.selector)._domainkey.\(signer.domain)"] = [signer.key.keyRecord]
        }
        return zone
    }

    @Test("sign and verify: rsa-sha256 (2048 bits) and ed25519-sha256 together", arguments: [false, true])
    func roundTrip(foldedInTransit: Bool) async throws {
        let rsa = DKIMSigner(domain: "example.org", selector: "r1", key: try .generate(.rsaSHA256))
        let ed = DKIMSigner(domain: "example.org", selector: "e1", key: try .generate(.ed25519SHA256))
        var signed =
            try ed.signatureField(for: Self.message, now: Self.now)
            + (try rsa.signatureField(for: Self.message, now: Self.now)) + Self.message
        if foldedInTransit {
            // What relaxed canonicalisation forgives: refolding, case of names, trailing blanks.
            let text = String(decoding: signed, as: UTF8.self)
                .replacingOccurrences(of: "Subject: Lunch", with: "SUBJECT:   Lunch")
                .replacingOccurrences(of: "To: bob@example.net", with: "To:\r\n bob@example.net")
                .replacingOccurrences(of: "See you  at noon.  ", with: "See you at noon.")
            signed = Array(text.utf8)
        }
        let results = await DKIMVerifier(resolver: Self.zone(for: [rsa, ed])).verify(signed, now: Self.now)
        #expect(results.map(\.status) == [.pass, .pass])
        #expect(results.map(\.algorithm) == [.ed25519SHA256, .rsaSHA256])
        if case .rsa(let key) = rsa.key { #expect(key.keySizeInBits == 2048) } else { Issue.record("not RSA") }
    }

    @Test("From, Subject and Date are oversigned: a second Subject added later breaks the signature")
    func oversigning() async throws {
        let ed = DKIMSigner(domain: "example.org", selector: "e1", key: try .generate(.ed25519SHA256))
        let field = try ed.signatureField(for: Self.message, now: Self.now)
        let text = String(decoding: field, as: UTF8.self)
        let h = text.components(separatedBy: "h=")[1].components(separatedBy: ";")[0]
            .replacingOccurrences(of: "\r\n\t", with: "")
        #expect(h.split(separator: ":").filter { $0 == "From" }.count == 2)
        #expect(h.split(separator: ":").filter { $0 == "Subject" }.count == 2)
        #expect(h.split(separator: ":").filter { $0 == "Date" }.count == 2)
        #expect(h.contains("Message-ID") && h.contains("Content-Type") && !h.contains("Received"))
        let forged = field + Array("Subject: Pay this invoice\r\n".utf8) + Self.message
        let results = await DKIMVerifier(resolver: Self.zone(for: [ed])).verify(forged, now: Self.now)
        #expect(results.map(\.status) == [.fail])
    }

    @Test("l= covering less than the body is not a pass (policy); covering all of it is")
    func bodyLength() async throws {
        // dkimpy-style signature with l= made by hand: sign the message, then append to its body.
        let seed = [UInt8](repeating: 7, count: 32)
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        let body = Array("Hello.\r\n".utf8)
        let header = Array("From: a@example.org\r\nSubject: l test\r\n".utf8)
        let bh = Base64Bytes.encode(Array(SHA256.hash(data: DKIMCanonicalization.relaxed.body(body))))
        func signed(appending extra: String) throws -> [UInt8] {
            let unsigned =
                "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org; s=l; l=\(body.count); h=from:subject; bh=\(bh); b="
            let data =
                MessageFields(header + [13, 10]).fields.flatMap { DKIMCanonicalization.relaxed.header($0.bytes) }
                + DKIMCanonicalization.relaxed.header(Array(unsigned.utf8), withCRLF: false)
            let signature = try key.signature(for: Array(SHA256.hash(data: data)))
            return Array((unsigned + Base64Bytes.encode(Array(signature)) + "\r\n").utf8) + header + [13, 10] + body
                + Array(extra.utf8)
        }
        let zone = FixedZone(txt: ["l._domainkey.example.org": [DKIMPrivateKey.ed25519(key).keyRecord]])
        let whole = await DKIMVerifier(resolver: zone).verify(try signed(appending: ""), now: Self.now)
        #expect(whole.map(\.status) == [.pass])
        let appended = await DKIMVerifier(resolver: zone).verify(
            try signed(appending: "Click here: http://evil.test/\r\n"),
            now: Self.now
        )
        #expect(appended.map(\.status) == [.policy])
        #expect(appended.first?.reason?.contains("unsigned") == true)
    }

    @Test("unusable signatures and keys are permerrors; a DNS failure is a temperror")
    func errors() async throws {
        let ed = DKIMSigner(domain: "example.org", selector: "e1", key: try .generate(.ed25519SHA256))
        let signed = try ed.sign(Self.message, now: Self.now)
        var revoked = FixedZone(txt: ["e1._domainkey.example.org": ["v=DKIM1; k=ed25519; p="]])
        #expect(await DKIMVerifier(resolver: revoked).verify(signed, now: Self.now).map(\.status) == [.permerror])
        revoked.txt["e1._domainkey.example.org"] = ["v=DKIM1; k=rsa; \(ed.key.keyRecord.split(separator: ";")[2])"]
        #expect(await DKIMVerifier(resolver: revoked).verify(signed, now: Self.now).map(\.status) == [.permerror])
        let failing = FixedZone(failing: ["e1._domainkey.example.org"])
        #expect(await DKIMVerifier(resolver: failing).verify(signed, now: Self.now).map(\.status) == [.temperror])
        // rsa-sha1 (RFC 8301), a missing From in h=, an expired x=.
        for value in [
            "v=1; a=rsa-sha1; d=example.org; s=e1; h=from; bh=AAAA; b=AAAA",
            "v=1; a=ed25519-sha256; d=example.org; s=e1; h=subject; bh=AAAA; b=AAAA",
            "v=1; a=ed25519-sha256; d=example.org; s=e1; h=from; bh=AAAA; b=AAAA; t=10; x=20",
            "v=1; a=ed25519-sha256; d=example.org; s=e1; h=from; bh=AAAA; b=AAAA; i=x@example.com",
            "v=1; a=ed25519-sha256; d=example.org; s=e1; h=from; bh=AAAA; b=AAAA; d=example.org",
        ] {
            let message = Array("DKIM-Signature: \(value)\r\n".utf8) + Self.message
            #expect(
                await DKIMVerifier(resolver: Self.zone(for: [ed])).verify(message, now: Self.now).map(\.status) == [
                    .permerror
                ]
            )
        }
    }

    @Test("the tag list parser: whitespace, a final semicolon, duplicates and bad names")
    func tagList() throws {
        let tags = try TagList(parsing: Array(" v = 1 ;\r\n\ta=b c ; ".utf8))
        #expect(tags["v"] == "1")
        #expect(tags["a"] == "b c")
        #expect(throws: TagList.Error.duplicateTag("v")) { try TagList(parsing: Array("v=1; v=2".utf8)) }
        #expect(throws: TagList.Error.malformedTag("1x")) { try TagList(parsing: Array("1x=2".utf8)) }
        #expect(throws: TagList.Error.malformedTag("novalue")) { try TagList(parsing: Array("novalue".utf8)) }
    }
}

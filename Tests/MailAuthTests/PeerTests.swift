import DNS
import Foundation
import MailAuth
import MailTestSupport
import Testing

/// correo's DKIM and SPF against real peers, every key and record served by dnsmasq on 127.0.0.1:
/// dkimpy (`dkimverify`, `dkimsign`), OpenDKIM's tools (`opendkim-genkey`, `opendkim-testmsg`) and
/// pyspf as the SPF oracle.
///
/// Serialized: each test runs its own dnsmasq and a few processes.
@Suite("MailAuth against dkimpy, OpenDKIM, pyspf and dnsmasq", .offThePool, .serialized)
struct PeerTests {
    static let message = Array(
        ("From: Alice <alice@correo.test>\r\nTo: bob@peer.test\r\nSubject: Peers\r\n"
            + "Date: Thu, 03 Dec 2026 12:00:00 +0000\r\nMessage-ID: <peer-1@correo.test>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n\r\nTrailing blanks   \r\n\tand tabs.\r\n\r\n").utf8
    )
    static let now = Int(Date().timeIntervalSince1970)

    /// Python that points dnspython (which dkimpy and pyspf use) at dnsmasq's port, then runs `body`.
    static func python(port: Int, _ body: String) -> [String] {
        let setup = """
            import sys, dns.resolver
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = ['127.0.0.1']
            resolver.port = \(port)
            dns.resolver.default_resolver = resolver
            """
        return ["-c", setup + "\n" + body]
    }

    static func dkimverify(port: Int, index: Int) -> [String] {
        python(port: port, "sys.argv = ['dkimverify', '--index', '\(index)']\nfrom dkim.dkimverify import main\nmain()")
    }

    @Test("correo's rsa-sha256 and ed25519-sha256 signatures verify with dkimpy's dkimverify")
    func dkimpyVerifiesCorreo() async throws {
        let rsa = DKIMSigner(domain: "correo.test", selector: "c-rsa", key: try .generate(.rsaSHA256))
        let ed = DKIMSigner(domain: "correo.test", selector: "c-ed", key: try .generate(.ed25519SHA256))
        let signed =
            try ed.signatureField(for: Self.message, now: Self.now)
            + (try rsa.signatureField(for: Self.message, now: Self.now)) + Self.message
        let records = [
            Dnsmasq.txt("c-rsa._domainkey.correo.test", rsa.key.keyRecord),
            Dnsmasq.txt("c-ed._domainkey.correo.test", ed.key.keyRecord),
        ]
        let verified = try await Dnsmasq.with(records) { resolver, port -> Bool in
            // correo reads the same records back through its own resolver.
            #expect(
                await DKIMVerifier(resolver: resolver).verify(signed, now: Self.now).map(\.status) == [.pass, .pass]
            )
            for index in 0..<2 {
                let peer = try await Peer.run(
                    "python3",
                    Self.dkimverify(port: port, index: index),
                    input: signed,
                    install: "pip install dkimpy dnspython pynacl"
                )
                #expect(peer?.status == 0, "signature \(index): \(peer?.output ?? "") \(peer?.errors ?? "")")
                #expect(peer?.output.contains("signature ok") == true)
            }
            // And a changed body is refused by dkimpy too: the check above can fail.
            let tampered = signed.dropLast(4) + Array("x\r\n\r\n".utf8)
            let refused = try await Peer.run(
                "python3",
                Self.dkimverify(port: port, index: 0),
                input: Array(tampered),
                install: "pip install dkimpy"
            )
            #expect(refused?.status == 1)
            return true
        }
        #expect(verified == true)
    }

    @Test("correo verifies dkimpy's signatures: both algorithms, both canonicalisations, several at once")
    func correoVerifiesDkimpy() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("correo-dkimpy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let rsa = try DKIMPrivateKey.generate(.rsaSHA256)
        let ed = try DKIMPrivateKey.generate(.ed25519SHA256)
        let rsaFile = folder.appendingPathComponent("rsa.pem")
        try rsa.pem.write(to: rsaFile, atomically: true, encoding: .utf8)
        // dkimpy reads an Ed25519 private key as the base64 of its 32-octet seed.
        let edFile = folder.appendingPathComponent("ed.key")
        guard case .ed25519(let edKey) = ed else { return }
        try Base64Bytes.encode(Array(edKey.rawRepresentation)).write(to: edFile, atomically: true, encoding: .utf8)

        var signed = Self.message.map { $0 }
        let runs: [(String, String, String, String)] = [
            ("p-rsa", rsaFile.path, "rsa-sha256", "relaxed"), ("p-rsa", rsaFile.path, "rsa-sha256", "simple"),
            ("p-ed", edFile.path, "ed25519-sha256", "relaxed"),
        ]
        for (selector, key, algorithm, canonicalization) in runs {
            let peer = try await Peer.run(
                "dkimsign",
                [
                    selector, "peer.test", key, "--signalg", algorithm, "--hcanon", canonicalization, "--bcanon",
                    canonicalization,
                ],
                input: Self.message,
                install: "pip install dkimpy pynacl"
            )
            guard let peer, peer.status == 0 else {
                Issue.record("dkimsign failed: \(peer?.errors ?? "")")
                return
            }
            // dkimsign writes the message with its field on top; keep each field, then the message once.
            let field = peer.output.components(separatedBy: "From: Alice")[0]
            signed =
                Array(
                    field.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8
                ) + signed
        }
        let records = [
            Dnsmasq.txt("p-rsa._domainkey.peer.test", rsa.keyRecord),
            Dnsmasq.txt("p-ed._domainkey.peer.test", ed.keyRecord),
        ]
        let results = try await Dnsmasq.with(records) { resolver, _ in
            await DKIMVerifier(resolver: resolver).verify(signed, now: Self.now)
        }
        #expect(results?.map(\.status) == [.pass, .pass, .pass])
        #expect(results?.map(\.algorithm) == [.ed25519SHA256, .rsaSHA256, .rsaSHA256])
    }

    @Test(
        "OpenDKIM: correo signs with an opendkim-genkey key (dkimpy verifies); opendkim-testmsg's rsa-sha1 is refused"
    )
    func openDKIM() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "correo-opendkim-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        guard
            let genkey = try await Peer.run(
                "opendkim-genkey",
                ["--bits=2048", "--domain=correo.test", "--selector=od", "--directory=\(folder.path)"],
                install: "apt-get install opendkim-tools"
            )
        else { return }
        #expect(genkey.status == 0, "\(genkey.errors)")
        let pem = try String(contentsOf: folder.appendingPathComponent("od.private"), encoding: .utf8)
        guard let key = DKIMPrivateKey(pem: pem) else {
            Issue.record("opendkim-genkey's key did not load")
            return
        }
        // The record as opendkim-genkey printed it: the quoted strings joined.
        let zoneText = try String(contentsOf: folder.appendingPathComponent("od.txt"), encoding: .utf8)
        let record = zoneText.components(separatedBy: "\"").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            .joined()
        #expect(record.contains("p=\(key.publicKeyBase64)"))
        let signed = try DKIMSigner(domain: "correo.test", selector: "od", key: key).sign(Self.message, now: Self.now)

        guard
            let testmsg = try await Peer.run(
                "opendkim-testmsg",
                ["-C", "-d", "correo.test", "-k", folder.appendingPathComponent("od.private").path, "-s", "od"],
                input: Self.message,
                install: "apt-get install opendkim-tools"
            )
        else { return }
        #expect(testmsg.status == 0, "\(testmsg.errors)")
        let sha1Signed = Array(testmsg.output.utf8)

        _ = try await Dnsmasq.with([Dnsmasq.txt("od._domainkey.correo.test", record)]) { resolver, port in
            let peer = try await Peer.run(
                "python3",
                Self.dkimverify(port: port, index: 0),
                input: signed,
                install: "pip install dkimpy"
            )
            #expect(peer?.status == 0, "\(peer?.output ?? "") \(peer?.errors ?? "")")
            #expect(await DKIMVerifier(resolver: resolver).verify(signed, now: Self.now).map(\.status) == [.pass])
            let sha1 = await DKIMVerifier(resolver: resolver).verify(sha1Signed, now: Self.now)
            #expect(sha1.map(\.status) == [.permerror])
            #expect(sha1.first?.reason == "unsupported algorithm rsa-sha1")
        }
    }

    @Test("SPF through dnsmasq agrees with pyspf")
    func spfAgainstPyspf() async throws {
        let records = [
            Dnsmasq.txt("spf.test", "v=spf1 ip4:127.0.0.0/30 include:inc.spf.test a:host.spf.test mx ~all"),
            Dnsmasq.txt("inc.spf.test", "v=spf1 ip4:127.0.1.0/24 -all"),
            Dnsmasq.txt("redir.spf.test", "v=spf1 redirect=spf.test"),
            Dnsmasq.txt("macro.spf.test", "v=spf1 exists:%{ir}.%{l}.e.spf.test -all"),
            Dnsmasq.txt("voids.spf.test", "v=spf1 a:n1.spf.test a:n2.spf.test a:n3.spf.test +all"),
            "--host-record=host.spf.test,127.0.2.5", "--host-record=mx.spf.test,127.0.3.9",
            "--mx-host=spf.test,mx.spf.test,10", "--host-record=9.0.0.127.alice.e.spf.test,127.0.0.2",
        ]
        let cases: [(String, String, SPFResult)] = [
            ("127.0.0.2", "a@spf.test", .pass), ("127.0.1.77", "a@spf.test", .pass), ("127.0.2.5", "a@spf.test", .pass),
            ("127.0.3.9", "a@spf.test", .pass), ("127.0.9.9", "a@spf.test", .softfail),
            ("127.0.1.1", "a@redir.spf.test", .pass),
            ("127.0.0.9", "alice@macro.spf.test", .pass), ("127.0.0.9", "bob@macro.spf.test", .fail),
            ("127.0.0.9", "a@voids.spf.test", .permerror), ("127.0.0.9", "a@none.spf.test", .none),
        ]
        _ = try await Dnsmasq.with(records) { resolver, port in
            for (ip, sender, expected) in cases {
                let verdict = await SPFChecker(resolver: resolver).check(
                    client: IPAddress(ip)!,
                    helo: "helo.spf.test",
                    mailFrom: sender
                )
                #expect(verdict.result == expected, "\(ip) \(sender): \(verdict.reason ?? "")")
                let oracle = try await Peer.run(
                    "python3",
                    Self.python(
                        port: port,
                        "import spf\nprint(spf.check2(i='\(ip)', s='\(sender)', h='helo.spf.test')[0])"
                    ),
                    install: "pip install pyspf dnspython"
                )
                #expect(
                    oracle?.output.trimmingCharacters(in: .whitespacesAndNewlines) == expected.rawValue,
                    "pyspf on \(ip) \(sender): \(oracle?.errors ?? "")"
                )
            }
        }
    }

    @Test("the Authentication-Results correo writes parse with authres and say what correo found")
    func authresParses() async throws {
        let ed = DKIMSigner(domain: "correo.test", selector: "c-ed", key: try .generate(.ed25519SHA256))
        let zone = FixedZone(txt: [
            "correo.test": ["v=spf1 ip4:192.0.2.0/24 -all"], "_dmarc.correo.test": ["v=DMARC1; p=reject"],
            "c-ed._domainkey.correo.test": [ed.key.keyRecord],
        ])
        let signed = try ed.sign(Self.message, now: Self.now)
        let broken = Array(
            String(decoding: signed, as: UTF8.self).replacingOccurrences(of: "Subject: Peers", with: "Subject: Peer")
                .utf8
        )
        let authenticator = MessageAuthenticator(authservID: "mx.correo.test", resolver: zone, sample: { 0 })
        for (message, client) in [(signed, "192.0.2.1"), (broken, "203.0.113.1")] {
            let verdict = await authenticator.check(
                message,
                client: IPAddress(client)!,
                helo: "h.test",
                mailFrom: "alice@correo.test"
            )
            let script = """
                import sys, authres
                h = sys.stdin.buffer.read().decode('ascii').strip()
                r = authres.AuthenticationResultsHeader.parse(h)
                print(r.authserv_id)
                for x in r.results:
                    print(x.method, x.result, ' '.join(p.type + '.' + p.name + '=' + p.value for p in x.properties))
                """
            let peer = try await Peer.run(
                "python3",
                ["-c", script],
                input: verdict.results.field,
                install: "pip install authres"
            )
            #expect(peer?.status == 0, "\(peer?.errors ?? "")")
            let expected = [
                "mx.correo.test",
                "spf \(verdict.spf?.result.rawValue ?? "-") smtp.mailfrom=alice@correo.test",
                "dkim \(verdict.dkim?[0].status.rawValue ?? "-") header.d=correo.test header.s=c-ed header.a=ed25519-sha256 header.b=\(verdict.dkim?[0].signaturePrefix ?? "")",
                "dmarc \(verdict.dmarc?.result.rawValue ?? "-") header.from=correo.test"
                    + (verdict.dmarc?.result == .fail ? " policy.dmarc=reject" : ""),
            ]
            #expect(peer?.output.split(separator: "\n").map(String.init) == expected)
        }
    }

    @Test("the whole check through dnsmasq: SPF, DKIM and DMARC from real DNS answers")
    func messageAuthenticatorThroughDnsmasq() async throws {
        let ed = DKIMSigner(domain: "news.correo.test", selector: "n-ed", key: try .generate(.ed25519SHA256))
        let records = [
            Dnsmasq.txt("correo.test", "v=spf1 ip4:127.0.5.0/24 -all"),
            Dnsmasq.txt("_dmarc.correo.test", "v=DMARC1; p=reject; sp=quarantine; adkim=r"),
            Dnsmasq.txt("n-ed._domainkey.news.correo.test", ed.key.keyRecord),
        ]
        let plain = Self.message
        let signed = try ed.sign(plain, now: Self.now)
        _ = try await Dnsmasq.with(records) { resolver, _ in
            let authenticator = MessageAuthenticator(authservID: "mx.peer.test", resolver: resolver, sample: { 0 })
            // SPF passes for the MAIL FROM domain, which aligns with From (relaxed): pass.
            let spf = await authenticator.check(
                plain,
                client: IPAddress("127.0.5.9")!,
                helo: "h.test",
                mailFrom: "alice@correo.test"
            )
            #expect(spf.spf?.result == .pass)
            #expect(spf.dmarc?.result == .pass)
            // From a stranger: SPF fails, no signature: p=reject.
            let spoofed = await authenticator.check(
                plain,
                client: IPAddress("127.0.6.1")!,
                helo: "h.test",
                mailFrom: "alice@correo.test"
            )
            #expect(spoofed.spf?.result == .fail)
            #expect(spoofed.disposition == .reject)
            // From a stranger but signed by a subdomain of the organisational domain: relaxed DKIM alignment.
            let aligned = await authenticator.check(
                signed,
                client: IPAddress("127.0.6.1")!,
                helo: "h.test",
                mailFrom: "bounce@other.test"
            )
            #expect(aligned.dkim?.map(\.status) == [.pass])
            #expect(aligned.spf?.result == SPFResult.none)
            #expect(aligned.dmarc?.result == .pass)
        }
    }
}

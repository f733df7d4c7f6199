import Foundation
import MailTestSupport
import Testing

/// Issue 13 at the MX of a real `correo serve`: swaks from 127.0.0.1 as senders whose domains publish
/// SPF and DMARC records in a real nameserver (dnsmasq on 127.0.0.1, given with --dns-server).
@Suite(.offThePool) struct InboundAuthEndToEndTests {
    @Test(.timeLimit(.minutes(5)))
    func senderChecksAddTheirFieldRefuseRejectAndFileQuarantineInJunk() async throws {
        let work = try TemporaryDirectory(prefix: "correo-inbound")
        defer { work.remove() }
        let storage = work.path + "/b"
        let added = try CorreoBinary.run(
            ["user", "add", "bob@b.test", "-s", storage, "--password-stdin"],
            input: "secret\n"
        )
        try #require(added.status == 0, "\(added.standardError)")
        let dns = try DnsmasqProcess(records: [
            "--txt-record=pass.test,v=spf1 ip4:127.0.0.1 -all", "--txt-record=_dmarc.pass.test,v=DMARC1; p=reject",
            "--txt-record=reject.test,v=spf1 -all", "--txt-record=_dmarc.reject.test,v=DMARC1; p=reject",
            "--txt-record=junk.test,v=spf1 -all", "--txt-record=_dmarc.junk.test,v=DMARC1; p=quarantine",
        ])
        // The checks are on by default for serve: no flag.
        let server = try await CorreoServerProcess.start { ports in
            [
                "serve", "-s", storage, "--domain", "b.test", "--smtp-port", String(ports[0]), "--submission-port", "0",
                "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0", "--bind", "127.0.0.1",
                "--nntp-port", "0", "--nntps-port", "0", "--dns-server", "127.0.0.1:\(dns.port)",
                "--inbound-auth-exempt", "none",
            ]  // swaks connects from 127.0.0.1, exempt by default
        }
        let bob = storage + "/bob@b.test"
        func send(from domain: String) async throws -> (status: Int32?, output: String) {
            let swaks = try ChildProcess([
                "swaks", "--server", "127.0.0.1:\(server.port)", "--from", "alice@\(domain)", "--to", "bob@b.test",
                "--helo", "client.\(domain)", "--header", "Subject: from \(domain)", "--body", "Hello Bob.",
            ])
            var status = try await swaks.waitForExit(seconds: 30)
            if status == nil { status = await swaks.stop() }
            return (status, swaks.output.text)
        }
        func files(_ folder: String) -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: bob + "/" + folder)) ?? []
            return names.compactMap { try? String(contentsOfFile: bob + "/" + folder + "/" + $0, encoding: .utf8) }
        }
        try await Self.stopping(server, dns) {
            let passed = try await send(from: "pass.test")
            try #require(passed.status == 0, "swaks: \(passed.output)\n\(server.log)")
            let inbox = files("new")
            try #require(inbox.count == 1, "\(server.log)")
            #expect(inbox[0].hasPrefix("Authentication-Results: b.test;\r\n\tspf=pass"), "\(inbox[0])")
            #expect(inbox[0].contains("smtp.mailfrom=alice@pass.test"))
            #expect(inbox[0].contains("\tdmarc=pass"))
            #expect(inbox[0].contains("\r\nReturn-Path: <alice@pass.test>\r\n"))

            let refused = try await send(from: "reject.test")
            #expect(refused.status != 0)
            #expect(
                refused.output.contains("<** 550 5.7.1 Message refused: DMARC policy of reject.test is reject"),
                "\(refused.output)"
            )
            #expect(files("new").count == 1)
            #expect(files(".Junk/new").isEmpty)

            let quarantined = try await send(from: "junk.test")
            try #require(quarantined.status == 0, "swaks: \(quarantined.output)\n\(server.log)")
            let junk = files(".Junk/new") + files(".Junk/cur")
            try #require(junk.count == 1, "\(server.log)")
            #expect(junk[0].contains("Subject: from junk.test"))
            #expect(junk[0].contains("\tdmarc=fail"))
            #expect(files("new").count == 1)
        }
        // One line per check, with the results and never the body.
        let log = server.log
        #expect(
            log.contains(
                "sender checks client=127.0.0.1 spf=pass dkim=none dmarc=pass from=pass.test disposition=none"
            ),
            "\(log)"
        )
        #expect(log.contains("spf=fail dkim=none dmarc=fail from=reject.test disposition=reject"))
        #expect(log.contains("spf=fail dkim=none dmarc=fail from=junk.test disposition=quarantine"))
        #expect(!log.contains("Hello Bob."))
    }

    /// `smtpd` keeps the original's workflow: nothing checked, nothing added, even for a p=reject domain.
    @Test(.timeLimit(.minutes(5)))
    func smtpdLeavesTheChecksOff() async throws {
        let work = try TemporaryDirectory(prefix: "correo-inbound-off")
        defer { work.remove() }
        let storage = work.path + "/b"
        let dns = try DnsmasqProcess(records: [
            "--txt-record=reject.test,v=spf1 -all", "--txt-record=_dmarc.reject.test,v=DMARC1; p=reject",
        ])
        let server = try await CorreoServerProcess.start { ports in
            [
                "smtpd", "-s", storage, "-d", "b.test", "--port", String(ports[0]), "--bind", "127.0.0.1",
                "--dns-server", "127.0.0.1:\(dns.port)", "--inbound-auth-exempt", "none",
            ]
        }
        try await Self.stopping(server, dns) {
            let swaks = try ChildProcess([
                "swaks", "--server", "127.0.0.1:\(server.port)", "--from", "alice@reject.test", "--to", "bob@b.test",
            ])
            let status = try await swaks.waitForExit(seconds: 30)
            try #require(status == 0, "swaks: \(swaks.output.text)\n\(server.log)")
            let new = try FileManager.default.contentsOfDirectory(atPath: storage + "/bob@b.test/new")
            try #require(new.count == 1)
            let delivered = try String(contentsOfFile: storage + "/bob@b.test/new/" + new[0], encoding: .utf8)
            #expect(delivered.hasPrefix("Return-Path: <alice@reject.test>\r\n"))
            #expect(!delivered.contains("Authentication-Results"))
        }
    }

    /// Runs `body`, then stops the server and the nameserver, whatever happened.
    static func stopping(
        _ server: CorreoServerProcess,
        _ dns: DnsmasqProcess,
        _ body: () async throws -> Void
    ) async throws {
        do {
            try await body()
        } catch {
            await server.stop()
            dns.stop()
            throw error
        }
        await server.stop()
        dns.stop()
    }
}

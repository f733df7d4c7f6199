import Foundation
import MailTestSupport
import Testing

/// Issue 13 at the MX of a real `correo serve`: swaks from 127.0.0.1 as senders whose domains publish
/// SPF and DMARC records in a real nameserver (dnsmasq on 127.0.0.1, given with --dns-server).
@Suite(.offThePool) struct InboundAuthEndToEndTests {
    @Test(.timeLimit(.minutes(5)))
    func senderChecksAddTheirFieldRefuseRejectAndFileQuarantineInJunk() async throws {
        try await Self.checkThreeSenders(prefix: "correo-inbound")
    }

    /// `--local-delivery queue`: the checks run before the message is queued, so the refusal is the same
    /// 550 at the end of DATA, and the queue runner files the quarantined message in Junk.
    @Test(.timeLimit(.minutes(5)))
    func queuedLocalDeliveryIsCheckedBeforeThe250() async throws {
        try await Self.checkThreeSenders(prefix: "correo-inbound-queue", extra: ["--local-delivery", "queue"])
    }

    /// NOTIFY=SUCCESS sends local mail through the queue (the runner reports the delivery): checked the same way.
    ///
    /// Sent by Python's smtplib (swaks has no DSN options).
    @Test(.timeLimit(.minutes(5)))
    func notifySuccessMailIsCheckedBeforeThe250() async throws {
        try await Self.checkThreeSenders(prefix: "correo-inbound-notify", notifySuccess: true)
    }

    /// A real `correo serve` (`extra` flags) with pass.test, reject.test (p=reject) and junk.test
    /// (p=quarantine) in dnsmasq: one message from each, then what bob's Maildir and the log hold.
    static func checkThreeSenders(prefix: String, extra: [String] = [], notifySuccess: Bool = false) async throws {
        let work = try TemporaryDirectory(prefix: prefix)
        defer { work.remove() }
        let dns = try DnsmasqProcess(records: [
            "--txt-record=pass.test,v=spf1 ip4:127.0.0.1 -all", "--txt-record=_dmarc.pass.test,v=DMARC1; p=reject",
            "--txt-record=reject.test,v=spf1 -all", "--txt-record=_dmarc.reject.test,v=DMARC1; p=reject",
            "--txt-record=junk.test,v=spf1 -all", "--txt-record=_dmarc.junk.test,v=DMARC1; p=quarantine",
        ])
        // The checks are on by default for serve: no flag.
        let (storage, server) = try await Self.serveBob(in: work, dns: dns, extra: extra)
        let bob = storage + "/bob@b.test"
        let queued = !extra.isEmpty || notifySuccess
        func send(from domain: String) async throws -> (status: Int32?, output: String) {
            try await Self.send(from: domain, port: server.port, notifySuccess: notifySuccess)
        }
        func files(_ folder: String) -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: bob + "/" + folder)) ?? []
            return names.compactMap { try? String(contentsOfFile: bob + "/" + folder + "/" + $0, encoding: .utf8) }
        }
        // Queued mail reaches the Maildir just after the 250.
        func arrived(_ folders: [String], count: Int) async throws -> [String] {
            _ = try await waitUntil(seconds: 120) { folders.flatMap(files).count >= count }
            return folders.flatMap(files)
        }
        try await Self.stopping(server, dns) {
            let passed = try await send(from: "pass.test")
            try #require(passed.status == 0, "client: \(passed.output)\n\(server.log)")
            let inbox = try await arrived(["new"], count: 1)
            try #require(inbox.count == 1, "\(server.log)")
            // The queued bytes carry the field; the runner's final delivery puts Return-Path above it.
            let field = "Authentication-Results: b.test;\r\n\tspf=pass"
            let top = queued ? "Return-Path: <alice@pass.test>\r\n" + field : field
            #expect(inbox[0].hasPrefix(top), "\(inbox[0])")
            #expect(inbox[0].contains("smtp.mailfrom=alice@pass.test"))
            #expect(inbox[0].contains("\tdmarc=pass"))
            #expect(inbox[0].contains("Return-Path: <alice@pass.test>\r\n"))

            let refused = try await send(from: "reject.test")
            #expect(refused.status != 0)
            #expect(
                refused.output.contains("550 5.7.1 Message refused: DMARC policy of reject.test is reject"),
                "\(refused.output)"
            )

            let quarantined = try await send(from: "junk.test")
            try #require(quarantined.status == 0, "client: \(quarantined.output)\n\(server.log)")
            let junk = try await arrived([".Junk/new", ".Junk/cur"], count: 1)
            try #require(junk.count == 1, "\(server.log)")
            #expect(
                junk[0].hasPrefix(queued ? "Return-Path: <alice@junk.test>\r\n" : "Authentication-Results: b.test;")
            )
            #expect(junk[0].contains("Subject: from junk.test"))
            #expect(junk[0].contains("\tdmarc=fail"))
            // Nothing of reject.test anywhere, nothing more in the INBOX.
            #expect(files("new").count + files("cur").count == 1)
            #expect(!(files("new") + files(".Junk/new")).contains { $0.contains("reject.test") })
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

    /// A real `correo serve` for b.test in `work` (`extra` flags), asking `dns`, every client checked
    /// (swaks connects from 127.0.0.1, exempt by default); bob@b.test is its user.
    static func serveBob(
        in work: TemporaryDirectory,
        dns: DnsmasqProcess,
        extra: [String]
    ) async throws -> (storage: String, server: CorreoServerProcess) {
        let storage = work.path + "/b"
        let added = try CorreoBinary.run(
            ["user", "add", "bob@b.test", "-s", storage, "--password-stdin"],
            input: "secret\n"
        )
        try #require(added.status == 0, "\(added.standardError)")
        let server = try await CorreoServerProcess.start { ports in
            [
                "serve", "-s", storage, "--domain", "b.test", "--smtp-port", String(ports[0]), "--submission-port", "0",
                "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0", "--bind", "127.0.0.1",
                "--nntp-port", "0", "--nntps-port", "0", "--dns-server", "127.0.0.1:\(dns.port)",
                "--inbound-auth-exempt", "none",
            ] + extra
        }
        return (storage, server)
    }

    /// One message from alice@`domain` to bob@b.test: by swaks, or with NOTIFY=SUCCESS by smtplib (which
    /// prints the reply of a refused DATA, as swaks does, and exits 1).
    static func send(
        from domain: String,
        port: Int,
        notifySuccess: Bool
    ) async throws -> (
        status: Int32?, output: String
    ) {
        let arguments =
            notifySuccess
            ? ["python3", "-c", notifyingClient, String(port), domain]
            : [
                "swaks", "--server", "127.0.0.1:\(port)", "--from", "alice@\(domain)", "--to", "bob@b.test",
                "--helo", "client.\(domain)", "--header", "Subject: from \(domain)", "--body", "Hello Bob.",
            ]
        let client = try ChildProcess(arguments)
        var status = try await client.waitForExit(seconds: 30)
        if status == nil { status = await client.stop() }
        return (status, client.output.text + client.errors.text)
    }

    static let notifyingClient = """
        import smtplib, sys
        port, domain = int(sys.argv[1]), sys.argv[2]
        message = ("From: alice@%s\\r\\nTo: bob@b.test\\r\\nSubject: from %s\\r\\n\\r\\nHello Bob.\\r\\n" % (domain, domain))
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client." + domain, timeout=30) as client:
            try:
                client.sendmail("alice@" + domain, ["bob@b.test"], message, rcpt_options=["NOTIFY=SUCCESS"])
            except smtplib.SMTPDataError as error:
                print(error.smtp_code, error.smtp_error.decode())
                sys.exit(1)
        """

    /// Each check turned off on its own: the field lists only the checks that ran.
    ///
    /// open.test publishes SPF for 127.0.0.1 and DMARC `p=none`, so every message is delivered whatever
    /// the verdicts.
    @Test(.timeLimit(.minutes(5)))
    func eachCheckCanBeTurnedOff() async throws {
        let cases: [(flags: [String], present: [String], absent: [String])] = [
            (["--no-inbound-spf"], ["\tdkim=none", "\tdmarc=fail"], ["spf="]),
            (["--no-inbound-dkim"], ["\tspf=pass", "\tdmarc=pass"], ["dkim="]),
            (["--no-inbound-dmarc"], ["\tspf=pass", "\tdkim=none"], ["dmarc="]),
            // DMARC has nothing to evaluate: no check runs, the message is delivered as it came.
            (["--no-inbound-spf", "--no-inbound-dkim"], [], ["Authentication-Results"]),
        ]
        let dns = try DnsmasqProcess(records: [
            "--txt-record=open.test,v=spf1 ip4:127.0.0.1 -all", "--txt-record=_dmarc.open.test,v=DMARC1; p=none",
        ])
        defer { dns.stop() }
        for (index, check) in cases.enumerated() {
            let work = try TemporaryDirectory(prefix: "correo-inbound-switch")
            defer { work.remove() }
            let (storage, server) = try await Self.serveBob(in: work, dns: dns, extra: check.flags)
            do {
                let sent = try await Self.send(from: "open.test", port: server.port, notifySuccess: false)
                try #require(sent.status == 0, "case \(index): \(sent.output)\n\(server.log)")
                let inbox = storage + "/bob@b.test/new"
                let names = try FileManager.default.contentsOfDirectory(atPath: inbox)
                try #require(names.count == 1, "case \(index)")
                let delivered = try String(contentsOfFile: inbox + "/" + names[0], encoding: .utf8)
                let header = delivered.components(separatedBy: "\r\n\r\n")[0]
                for text in check.present { #expect(header.contains(text), "case \(index): \(header)") }
                for text in check.absent { #expect(!header.contains(text), "case \(index): \(header)") }
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
            if check.present.isEmpty {
                #expect(server.log.contains("sender checks off: with neither SPF nor DKIM"), "\(server.log)")
            }
        }
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

import Foundation
import MailTestSupport
import Testing

/// Issue 14: real newsreaders against `correo serve` — Python's nntplib over STARTTLS and implicit TLS
/// (LIST, GROUP, POST, OVER, ARTICLE…), and mail that swaks sends to a group's address read back as news
/// and, with Python's imaplib, from the IMAP shared folder `#news.` (RFC 2342), where an APPEND posts to the group;
/// the NNTP log lines.
@Suite(.offThePool) struct NNTPEndToEndTests {
    @Test(.timeLimit(.minutes(5)))
    func nntplibReadsAndPostsAndSMTPFeedsAGroup() async throws {
        let storage = try TemporaryDirectory(prefix: "correo-nntp-e2e")
        defer { storage.remove() }
        let added = try CorreoBinary.run(
            ["user", "add", "bob@localhost", "-s", storage.path, "--password-stdin"],
            input: "bob's pass\n"
        )
        try #require(added.status == 0, "\(added.standardError)")
        for arguments in [
            ["group", "add", "local.test", "--description", "Test group"],
            ["group", "add", "archive.ro", "--address", "List@localhost", "--read-only"],
        ] {
            let made = try CorreoBinary.run(arguments + ["-s", storage.path])
            try #require(made.status == 0, "\(made.standardError)")
        }
        let listed = try CorreoBinary.run(["group", "list", "-s", storage.path])
        #expect(listed.standardOutput == "archive.ro\tn\tlist@localhost\t\nlocal.test\ty\t-\tTest group\n")
        let duplicate = try CorreoBinary.run(["group", "add", "local.test", "-s", storage.path])
        #expect(duplicate.status != 0 && duplicate.standardError.contains("already exists"))
        let badName = try CorreoBinary.run(["group", "add", "Bad/Name", "-s", storage.path])
        #expect(badName.status != 0)

        let server = try await CorreoServerProcess.start(ports: 4) { ports in
            [
                "serve", "-s", storage.path, "--bind", "127.0.0.1", "--smtp-port", String(ports[0]),
                "--submission-port", "0", "--smtps-port", "0", "--imap-port", String(ports[3]), "--imaps-port", "0",
                "--nntp-port", String(ports[1]), "--nntps-port", String(ports[2]), "--nntp-peer", "127.0.0.1",
                "--log-format", "json",
            ]
        }
        do {
            let client = try ChildProcess(
                [
                    "python3", CorreoBinary.packageRoot.appendingPathComponent("interop/e2e/nntp_client.py").path,
                    "127.0.0.1", String(server.ports[1]), String(server.ports[2]), "bob@localhost", "bob's pass",
                    "local.test",
                ]
            )
            var status = try await client.waitForExit(seconds: 90)
            if status == nil { status = await client.stop() }
            #expect(status == 0, "nntplib: \(client.output.text) \(client.errors.text) \(server.log)")
            #expect(client.output.text.contains("all checks passed"))

            let swaks = try ChildProcess(
                [
                    "swaks", "--server", "127.0.0.1:\(server.ports[0])", "--to", "list@localhost",
                    "--from", "alice@example.org", "--helo", "client.example.org", "--header", "Subject: From the list",
                ]
            )
            var swaksStatus = try await swaks.waitForExit(seconds: 30)
            if swaksStatus == nil { swaksStatus = await swaks.stop() }
            try #require(swaksStatus == 0, "swaks: \(swaks.output.text) \(swaks.errors.text)")

            let reader = try ChildProcess(
                [
                    "python3", "-W", "ignore", "-c",
                    """
                    import nntplib, sys
                    s = nntplib.NNTP('127.0.0.1', \(server.ports[1]))
                    resp, count, first, last, name = s.group('archive.ro')
                    resp, over = s.over((first, last))
                    print(count, over[0][1]['subject'])
                    """,
                ]
            )
            var readerStatus = try await reader.waitForExit(seconds: 30)
            if readerStatus == nil { readerStatus = await reader.stop() }
            #expect(readerStatus == 0, "\(reader.errors.text)")
            #expect(reader.output.text == "1 From the list\n")

            // The same article in the IMAP shared folder, read with imaplib over STARTTLS.
            let imap = try ChildProcess(
                [
                    "python3", "-W", "ignore", "-c",
                    """
                    import imaplib, ssl
                    context = ssl.create_default_context()
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                    m = imaplib.IMAP4('127.0.0.1', \(server.ports[3]), timeout=20)
                    m.starttls(context)
                    m.login('bob@localhost', "bob's pass")
                    print(m.namespace()[1][0].decode())
                    print(b' '.join(m.list('#news.', '*')[1]).decode())
                    try:
                        m.select('"#news.archive.ro"')
                        print('writable')
                    except m.readonly:
                        print('read-only')
                    typ, data = m.select('"#news.archive.ro"', readonly=True)
                    typ, data = m.fetch('1', '(BODY[])')
                    print('Subject: From the list' in data[0][1].decode(), typ)
                    # APPEND into a group posts to it (as NNTP's POST); a read-only group refuses.
                    article = b'From: Bob <bob@localhost>\\r\\nSubject: Posted over IMAP\\r\\n\\r\\nAPPENDED-ARTICLE\\r\\n'
                    typ, data = m.append('"#news.local.test"', None, None, article)
                    print(typ, b'[APPENDUID ' in data[0])
                    typ, data = m.append('"#news.archive.ro"', None, None, article)
                    print(typ, data[0].decode())
                    m.logout()
                    """,
                ]
            )
            var imapStatus = try await imap.waitForExit(seconds: 30)
            if imapStatus == nil { imapStatus = await imap.stop() }
            #expect(imapStatus == 0, "imaplib: \(imap.output.text) \(imap.errors.text)")
            let imapLines = imap.output.text.split(separator: "\n").map(String.init)
            #expect(imapLines.first?.contains(##"(("#news." "."))"##) == true, "\(imap.output.text)")
            #expect(imapLines.dropFirst().first?.contains(#""." #news.archive.ro"#) == true, "\(imap.output.text)")
            #expect(imapLines.dropFirst().first?.contains(#""." #news.local.test"#) == true, "\(imap.output.text)")
            // imaplib's select() raises `readonly` when the server answers [READ-ONLY] to SELECT.
            #expect(imapLines.dropFirst(2).first == "read-only", "\(imap.output.text)")
            #expect(imapLines.dropFirst(3).first == "True OK", "\(imap.output.text)")
            #expect(imapLines.dropFirst(4).first == "OK True", "\(imap.output.text)")
            #expect(imapLines.dropFirst(5).first?.hasPrefix("NO [NOPERM] archive.ro is read-only") == true)

            // The APPENDed article, read back over NNTP: posted as POST would have posted it.
            let posted = try ChildProcess(
                [
                    "python3", "-W", "ignore", "-c",
                    """
                    import nntplib
                    s = nntplib.NNTP('127.0.0.1', \(server.ports[1]))
                    resp, count, first, last, name = s.group('local.test')
                    resp, over = s.over((first, last))
                    number = [n for n, fields in over if fields['subject'] == 'Posted over IMAP'][0]
                    text = b'\\n'.join(s.article(number)[1].lines).decode()
                    print('APPENDED-ARTICLE' in text, 'Newsgroups: local.test' in text, '!.POSTED' in text,
                          'posting-account="bob@localhost"' in text)
                    """,
                ]
            )
            var postedStatus = try await posted.waitForExit(seconds: 30)
            if postedStatus == nil { postedStatus = await posted.stop() }
            #expect(postedStatus == 0, "\(posted.errors.text)")
            #expect(posted.output.text == "True True True True\n", "\(posted.output.text)")
        } catch {
            await server.stop()
            throw error
        }
        let serverStatus = await server.stop()
        #expect(serverStatus == 0, "correo serve did not shut down cleanly: \(server.log)")

        // The NNTP log lines: login (never the password) and the session's end with its byte counts.
        let lines = server.log.split(separator: "\n").compactMap { line -> [String: Any]? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        let login = try #require(lines.first { $0["event"] as? String == "nntp.login" }, "\(server.log)")
        #expect(login["user"] as? String == "bob@localhost")
        #expect(login["result"] as? String == "ok")
        #expect(login["remote_addr"] as? String == "127.0.0.1")
        #expect((login["tls"] as? String)?.hasPrefix("TLSv1") == true)
        #expect(["nntp", "nntps"].contains(login["protocol"] as? String ?? ""))
        #expect((login["session"] as? String)?.hasPrefix("nntp-") == true)
        let logout = try #require(lines.first { $0["event"] as? String == "nntp.logout" }, "\(server.log)")
        #expect(logout["user"] as? String == "bob@localhost")
        #expect((logout["tls"] as? String)?.hasPrefix("TLSv1") == true)
        #expect(Int(logout["bytes_in"] as? String ?? "") ?? 0 > 20)
        #expect(Int(logout["bytes_out"] as? String ?? "") ?? 0 > 100)
        // The sessions that sent commands, not the readiness probes of `CorreoServerProcess.start` (those connect to
        // every port at once, so their order in the log is a race, and a probe of the NNTPS port that never shook
        // hands is logged with the TLS handler's version).
        let sessions = lines.filter {
            $0["event"] as? String == "nntp.disconnect" && Int($0["bytes_in"] as? String ?? "") ?? 0 > 0
        }
        let anonymous = try #require(sessions.first { $0["protocol"] as? String == "nntp" }, "\(server.log)")
        #expect(anonymous["tls"] as? String == "none")
        #expect(anonymous["user"] == nil)
        #expect(Int(anonymous["bytes_out"] as? String ?? "") ?? 0 > 0)
        let implicitTLS = try #require(sessions.first { $0["protocol"] as? String == "nntps" }, "\(server.log)")
        #expect((implicitTLS["tls"] as? String)?.hasPrefix("TLSv1") == true)
        #expect(implicitTLS["user"] == nil)
        #expect(
            lines.contains { $0["event"] as? String == "nntp.connect" && $0["remote_addr"] as? String == "127.0.0.1" }
        )
        #expect(!server.log.contains("bob's pass"))
    }

    /// Real Thunderbird (on an Xvfb display, driven over Marionette) with a news account on correo's NNTP port subscribes
    /// to a group, downloads its headers, shows them in the thread pane and an article in the message pane, then
    /// posts a new article and a follow-up (interop/e2e/thunderbird_news.py).
    @Test(.timeLimit(.minutes(5)))
    func thunderbirdSubscribesReadsAndPostsToAGroup() async throws {
        let script = CorreoBinary.packageRoot.appendingPathComponent("interop/e2e/thunderbird_news.py").path
        let run = try ChildProcess(["python3", script, CorreoBinary.url.path])
        var status = try await run.waitForExit(seconds: 280)
        if status == nil { status = await run.stop() }
        let output = run.output.text + run.errors.text
        #expect(status == 0, "\(output)")
        #expect(output.contains("PASS the thread pane shows the 3 Subjects"), "\(output)")
        #expect(output.contains("PASS the message pane shows article 1's body"), "\(output)")
        #expect(output.contains("PASS the follow-up is in the group, threaded under article 1"), "\(output)")
        #expect(output.contains("thunderbird-news: ok"), "\(output)")
    }
}

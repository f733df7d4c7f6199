import Foundation
import MailTestSupport
import Testing

/// Issue 14: real newsreaders against `correo serve` — Python's nntplib over STARTTLS and implicit TLS
/// (LIST, GROUP, POST, OVER, ARTICLE…), and mail that swaks sends to a group's address read back as news.
@Suite struct NNTPEndToEndTests {
    @Test(.timeLimit(.minutes(3)))
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

        let server = try await CorreoServerProcess.start(ports: 3) { ports in
            [
                "serve", "-s", storage.path, "--bind", "127.0.0.1", "--smtp-port", String(ports[0]),
                "--submission-port", "0", "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0",
                "--nntp-port", String(ports[1]), "--nntps-port", String(ports[2]), "--nntp-peer", "127.0.0.1",
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
        } catch {
            await server.stop()
            throw error
        }
        let serverStatus = await server.stop()
        #expect(serverStatus == 0, "correo serve did not shut down cleanly: \(server.log)")
    }
}

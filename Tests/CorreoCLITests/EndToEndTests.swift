import Foundation
import MailTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The whole path a user sees: swaks hands a message to the real `correo serve` over SMTP, and a Python
/// imaplib session that is IDLEing on the same server's INBOX is told about it and fetches the same bytes.
@Suite(.offThePool) struct EndToEndTests {
    /// Issue 4: "a message sent with swaks to `correo serve` appears in an IDLEing imaplib session and its
    /// bytes fetched by IMAP equal the bytes sent (plus trace headers)".
    @Test(.timeLimit(.minutes(5)))
    func swaksMessageReachesAnIdlingIMAPSessionByteForByte() async throws {
        let storage = try TemporaryDirectory(prefix: "correo-e2e-storage")
        defer { storage.remove() }
        let work = try TemporaryDirectory(prefix: "correo-e2e-work")
        defer { work.remove() }

        let added = try CorreoBinary.run(
            ["user", "add", "bob@localhost", "-s", storage.path, "--password-stdin"],
            input: "bob's pass\n"
        )
        try #require(added.status == 0, "\(added.standardError)")

        let message = Self.message()
        let messageFile = work.url.appendingPathComponent("message.eml")
        try message.write(to: messageFile)
        // swaks ends DATA with its own CRLF before the final dot, which would add an empty line to a message
        // that already ends with CRLF; a closing "." line (documented as allowed) is taken as the end instead.
        let swaksData = work.url.appendingPathComponent("swaks-data.eml")
        try (message + Data(".\r\n".utf8)).write(to: swaksData)
        let fetchedFile = work.url.appendingPathComponent("fetched.eml")

        // `correo serve` on two free loopback ports: SMTP and IMAP (the TLS and submission ports off).
        let server = try await CorreoServerProcess.start(ports: 2) { ports in
            [
                "serve", "-s", storage.path, "--smtp-port", String(ports[0]), "--submission-port", "0",
                "--smtps-port", "0", "--imap-port", String(ports[1]), "--imaps-port", "0", "--nntp-port", "0",
                "--nntps-port", "0",
                "--bind", "127.0.0.1", "--allow-plaintext-auth",
                // Byte for byte: no Authentication-Results field (the sender checks have their own test).
                "--no-inbound-auth-checks",
            ]
        }
        let client = try ChildProcess(
            [
                "python3", CorreoBinary.packageRoot.appendingPathComponent("interop/e2e/idle_fetch.py").path,
                "127.0.0.1", String(server.ports[1]), "bob@localhost", "bob's pass", fetchedFile.path,
            ]
        )
        do {
            let idling = try await waitUntil(seconds: 120) {
                client.output.text.contains("IDLING") || !client.isRunning
            }
            try #require(
                idling && client.isRunning,
                "imaplib never reached IDLE: \(client.output.text) \(client.errors.text) \(server.log)"
            )

            let swaks = try ChildProcess(
                [
                    "swaks", "--server", "127.0.0.1:\(server.ports[0])", "--to", "bob@localhost",
                    "--from", "alice@example.org", "--helo", "client.example.org", "--data", "@" + swaksData.path,
                ]
            )
            var swaksStatus = try await swaks.waitForExit(seconds: 30)
            if swaksStatus == nil { swaksStatus = await swaks.stop() }
            // swaks exits 0 only when every reply, the one to the end of DATA included, was a success.
            try #require(swaksStatus == 0, "swaks: \(swaks.output.text) \(swaks.errors.text)")

            let clientStatus = try await client.waitForExit(seconds: 120)
            try #require(clientStatus == 0, "imaplib: \(client.output.text) \(client.errors.text) \(server.log)")
        } catch {
            await client.stop()
            await server.stop()
            throw error
        }
        let serverStatus = await server.stop()
        #expect(serverStatus == 0, "correo serve did not shut down cleanly on SIGTERM: \(server.log)")

        // The IDLEing session was told about the delivery without asking.
        #expect(client.output.text.contains("EXISTS 1\n"))

        // What IMAP returns is the sent message, byte for byte, behind correo's two trace fields.
        let fetched = try Data(contentsOf: fetchedFile)
        try #require(fetched.count > message.count && fetched.suffix(message.count) == message)
        let trace = String(decoding: fetched.prefix(fetched.count - message.count), as: UTF8.self)
        let returnPath = "Return-Path: <alice@example.org>\r\n"
        try #require(trace.hasPrefix(returnPath), "\(trace)")
        let receivedLines = trace.dropFirst(returnPath.count).components(separatedBy: "\r\n")
        #expect(receivedLines.last == "")
        #expect(receivedLines.first?.hasPrefix("Received: from client.example.org ([127.0.0.1])") == true)
        // Every further line folds the one Received: field, so no other header field was added.
        #expect(receivedLines.dropFirst().dropLast().allSatisfy { $0.hasPrefix("\t") || $0.hasPrefix(" ") })
        #expect(trace.contains("for <bob@localhost>;"))

        // The Maildir holds exactly the bytes IMAP served.
        let maildir = storage.url.appendingPathComponent("bob@localhost")
        let stored = try ["new", "cur"].flatMap { sub in
            try FileManager.default.contentsOfDirectory(atPath: maildir.appendingPathComponent(sub).path)
                .map { maildir.appendingPathComponent(sub).appendingPathComponent($0) }
        }
        try #require(stored.count == 1, "\(stored)")
        #expect(try Data(contentsOf: stored[0]) == fetched)
    }

    /// A CRLF message with an 8-bit UTF-8 body line and lines that need SMTP dot-stuffing (RFC 5321 4.5.2):
    /// one starting with ".", one starting with "..", and one that is only ".".
    static func message() -> Data {
        let lines = [
            "From: Alice <alice@example.org>",
            "To: Bob <bob@localhost>",
            "Subject: end-to-end check",
            "Date: Thu, 26 Nov 2026 18:00:00 +0000",
            "Message-ID: <\(UUID().uuidString)@example.org>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            "Hello Bob,",
            "Grüße aus Köln, ça va? 日本語のテキスト",
            ".a line that starts with a dot",
            "..and one that starts with two",
            ".",
            "Bye.",
        ]
        return Data(lines.map { $0 + "\r\n" }.joined().utf8)
    }
}

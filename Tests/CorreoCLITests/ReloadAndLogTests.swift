import Foundation
import MailTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 15: SIGHUP reloads the certificate and the users file without closing a session, and the
/// operator's log lines (here in JSON) carry the agreed fields.
///
/// Everything runs against the real `correo serve`, a Python client on raw sockets and `openssl s_client`.
@Suite(.offThePool) struct ReloadAndLogTests {
    @Test(.timeLimit(.minutes(5)))
    func sighupServesTheNewCertificateWhileIDLEAndDATASurvive() async throws {
        let storage = try TemporaryDirectory(prefix: "correo-reload-storage")
        defer { storage.remove() }
        let work = try TemporaryDirectory(prefix: "correo-reload-work")
        defer { work.remove() }
        let first = try TemporaryDirectory(prefix: "correo-reload-a")
        defer { first.remove() }
        let second = try TemporaryDirectory(prefix: "correo-reload-b")
        defer { second.remove() }
        let added = try CorreoBinary.run(
            ["user", "add", "bob@localhost", "-s", storage.path, "--password-stdin"],
            input: "bob's pass\n"
        )
        try #require(added.status == 0, "\(added.standardError)")

        let old = try TestTLS.make(in: first)
        let new = try TestTLS.make(in: second)
        let cert = work.url.appendingPathComponent("cert.pem").path
        let key = work.url.appendingPathComponent("key.pem").path
        try install(old, cert: cert, key: key)
        let goFile = work.url.appendingPathComponent("go").path

        let server = try await CorreoServerProcess.start(ports: 3) { ports in
            [
                "serve", "-s", storage.path, "--smtp-port", String(ports[0]), "--submission-port", "0",
                "--smtps-port", "0", "--imap-port", String(ports[1]), "--imaps-port", String(ports[2]), "--nntp-port",
                "0", "--nntps-port", "0",
                "--bind", "127.0.0.1", "--allow-plaintext-auth", "--cert", cert, "--key", key, "--log-format", "json",
            ]
        }
        let imaps = server.ports[2]
        let client = try ChildProcess(
            [
                "python3", CorreoBinary.packageRoot.appendingPathComponent("interop/e2e/reload_sessions.py").path,
                "127.0.0.1", String(server.ports[0]), String(server.ports[1]), "bob@localhost", "bob's pass", goFile,
            ]
        )
        do {
            let oldSerial = try await fileSerial(old.certificatePath)
            #expect(try await servedSerial(port: imaps) == oldSerial)
            let waiting = try await waitUntil(seconds: 120) {
                client.output.text.contains("IN-DATA") || !client.isRunning
            }
            try #require(
                waiting && client.isRunning,
                "client: \(client.output.text) \(client.errors.text) \(server.log)"
            )

            // A renewal: new files in place, then SIGHUP, with the IDLE and the DATA transfer open.
            try install(new, cert: cert, key: key)
            kill(server.process.process.processIdentifier, SIGHUP)
            let reloaded = try await waitUntil(seconds: 120) { server.log.contains("\"event\":\"reload.tls\"") }
            try #require(reloaded, "\(server.log)")
            #expect(server.process.isRunning)
            _ = FileManager.default.createFile(atPath: goFile, contents: nil)

            let status = try await client.waitForExit(seconds: 60)
            try #require(status == 0, "client: \(client.output.text) \(client.errors.text) \(server.log)")
            let newSerial = try await fileSerial(new.certificatePath)
            #expect(newSerial != oldSerial)
            #expect(try await servedSerial(port: imaps) == newSerial)

            // A broken renewal keeps the certificate in use and says why.
            try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: cert))
            kill(server.process.process.processIdentifier, SIGHUP)
            let refused = try await waitUntil(seconds: 120) { server.log.contains("TLS certificate not reloaded") }
            #expect(refused, "\(server.log)")
            #expect(try await servedSerial(port: imaps) == newSerial)
        } catch {
            await client.stop()
            await server.stop()
            throw error
        }
        let serverStatus = await server.stop()
        #expect(serverStatus == 0, "\(server.log)")

        let lines = server.log.split(separator: "\n").compactMap { line -> [String: Any]? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        #expect(lines.count == server.log.split(separator: "\n").count, "every line is one JSON object: \(server.log)")
        let users = try #require(lines.first { $0["event"] as? String == "reload.users" }, "\(server.log)")
        #expect(users["count"] as? String == "1")

        let accepted = try #require(lines.first { $0["event"] as? String == "smtp.accepted" }, "\(server.log)")
        #expect(accepted["from"] as? String == "<alice@example.org>")
        #expect(accepted["to"] as? [String] == ["bob@localhost"])
        #expect(accepted["remote_addr"] as? String == "127.0.0.1")
        #expect(accepted["remote_name"] as? String == "client.example.org")
        #expect(accepted["tls"] as? String == "none")
        #expect(accepted["message_id"] as? String == "<reload-1@example.org>")
        let body =
            "From: alice@example.org\r\nTo: bob@localhost\r\nSubject: across a reload\r\n"
            + "Message-ID: <reload-1@example.org>\r\n\r\nfirst half, sent before SIGHUP\r\nsecond half, sent after SIGHUP\r\n"
        #expect(accepted["size"] as? String == String(body.utf8.count))
        let queueID = try #require(accepted["queue_id"] as? String)
        #expect(client.output.text.contains("queued as \(queueID)"), "\(client.output.text)")
        #expect(accepted["session"] as? String != nil)
        #expect(accepted["level"] as? String == "notice")

        let refusals = lines.filter { $0["event"] as? String == "smtp.refused" }
        let unknown = try #require(refusals.first { ($0["reply"] as? String)?.hasPrefix("550 5.1.1") == true })
        #expect(unknown["reason"] as? String == "unknown recipient")
        #expect(unknown["rcpt"] as? String == "<nobody@localhost>")
        #expect(unknown["from"] as? String == "<alice@example.org>")
        #expect(unknown["remote_addr"] as? String == "127.0.0.1")
        let relay = try #require(refusals.first { ($0["reply"] as? String)?.hasPrefix("554 5.7.1") == true })
        #expect(relay["reason"] as? String == "relay denied")
        #expect(relay["rcpt"] as? String == "<someone@elsewhere.example>")

        let login = try #require(lines.first { $0["event"] as? String == "imap.login" }, "\(server.log)")
        #expect(login["user"] as? String == "bob@localhost")
        #expect(login["result"] as? String == "ok")
        #expect(login["remote_addr"] as? String == "127.0.0.1")
        #expect(login["tls"] as? String == "none")
        #expect(login["protocol"] as? String == "imap")
        let logout = try #require(lines.first { $0["event"] as? String == "imap.logout" }, "\(server.log)")
        #expect(logout["user"] as? String == "bob@localhost")
        #expect(Int(logout["bytes_in"] as? String ?? "") ?? 0 > 40)
        #expect(Int(logout["bytes_out"] as? String ?? "") ?? 0 > 100)
        // Never a password.
        #expect(!server.log.contains("bob's pass"))
    }

    func install(_ tls: TestTLS, cert: String, key: String) throws {
        for (from, to) in [(tls.certificatePath, cert), (tls.privateKeyPath, key)] {
            try? FileManager.default.removeItem(atPath: to)
            try FileManager.default.copyItem(atPath: from, toPath: to)
        }
    }

    /// The serial of the certificate the server presents on `port`, through `openssl s_client`
    /// (after `-starttls PROTOCOL` if given, such as `nntp`).
    func servedSerial(port: Int, starttls: String? = nil) async throws -> String {
        let starting = starttls.map { " -starttls \($0)" } ?? ""
        let command =
            "openssl s_client -connect 127.0.0.1:\(port)\(starting) </dev/null 2>/dev/null | openssl x509 -noout -serial"
        return try await outputOf(["/bin/sh", "-c", command]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func fileSerial(_ path: String) async throws -> String {
        try await outputOf(["openssl", "x509", "-noout", "-serial", "-in", path]).trimmingCharacters(
            in: .whitespacesAndNewlines
        )
    }
}

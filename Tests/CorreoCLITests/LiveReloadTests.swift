import Foundation
import MailTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 15: SIGHUP applies a new local domain and new limits to the SMTP sessions opened afterwards, while a
/// session opened before keeps what it started with and goes on working, against the real `correo serve --config`.
@Suite(.offThePool) struct LiveReloadTests {
    /// ConfigReloadTests' file (SMTP on `port` only, JSON logs) with local domains and a message size.
    static func settings(storage: String, port: Int, domains: [String], size: Int) -> String {
        ConfigReloadTests.settings(storage: storage, smtpPort: port, logLevel: "info") + """
            domain = [\(domains.map { "\"\($0)\"" }.joined(separator: ", "))]
            hostname = "mx.example.org"
            accept-unknown-recipients = true
            inbound-auth-checks = false
            max-message-size = \(size)

            """
    }

    /// A Python SMTP client: each command's reply lines printed after a `TAG` prefix, one per line.
    ///
    /// When `wait` names a file, the client says `TAG-READY` after EHLO and waits (at most 60 s) for that file before its
    /// transaction, so that a reload can happen in the middle of its session.
    static func client(port: Int, tag: String, wait: String?, recipients: [String]) -> [String] {
        let script = """
            import os, socket, sys, time
            s = socket.create_connection(("127.0.0.1", \(port)), timeout=20)
            f = s.makefile("rb")
            def reply():
                lines = []
                while True:
                    line = f.readline().decode().rstrip("\\r\\n")
                    lines.append(line)
                    if len(line) < 4 or line[3] != "-":
                        return lines
            def cmd(text):
                s.sendall(text.encode() + b"\\r\\n")
                for line in reply():
                    print("\(tag) " + text.split("\\r\\n")[0][:16] + " -> " + line, flush=True)
            reply()
            cmd("EHLO client.test")
            wait = \(wait.map { "\"\($0)\"" } ?? "None")
            if wait:
                print("\(tag)-READY", flush=True)
                deadline = time.time() + 60
                while not os.path.exists(wait) and time.time() < deadline:
                    time.sleep(0.05)
            cmd("MAIL FROM:<sender@client.test>")
            for rcpt in [\(recipients.map { "\"\($0)\"" }.joined(separator: ", "))]:
                cmd("RCPT TO:<" + rcpt + ">")
            cmd("DATA")
            cmd("Subject: live reload\\r\\n\\r\\nbody\\r\\n.")
            cmd("QUIT")
            """
        return ["python3", "-c", script]
    }

    /// The reply lines of `tag`'s command beginning with `command`.
    static func replies(_ output: String, _ tag: String, _ command: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("\(tag) \(command)") }
    }

    @Test(.timeLimit(.minutes(5)))
    func sighupAddsADomainAndLowersTheSizeForNewSessionsOnly() async throws {
        let storage = try TemporaryDirectory(prefix: "correo-live-reload")
        defer { storage.remove() }
        let work = try TemporaryDirectory(prefix: "correo-live-reload-work")
        defer { work.remove() }
        let file = work.url.appendingPathComponent("correo.toml").path
        let go = work.url.appendingPathComponent("go").path
        let server = try await CorreoServerProcess.start(ports: 1) { ports in
            let text = Self.settings(storage: storage.path, port: ports[0], domains: ["example.org"], size: 100_000)
            try? Data(text.utf8).write(to: URL(fileURLWithPath: file))
            return ["serve", "--config", file]
        }
        do {
            // A session opened before the reload, held open after its EHLO.
            let before = try ChildProcess(
                Self.client(port: server.port, tag: "A", wait: go, recipients: ["old@example.org", "new@example.net"])
            )
            let ready = try await waitUntil(seconds: 120) { before.output.text.contains("A-READY") }
            try #require(ready, "\(before.output.text) \(before.errors.text)")

            // The operator adds a domain and lowers the message size, then reloads.
            let edited = Self.settings(
                storage: storage.path,
                port: server.port,
                domains: ["example.org", "example.net"],
                size: 50_000
            )
            try Data(edited.utf8).write(to: URL(fileURLWithPath: file))
            kill(server.process.process.processIdentifier, SIGHUP)
            let reloaded = try await waitUntil(seconds: 120) {
                ConfigReloadTests.events(server.log, "reload.config").contains { $0["applied"] != nil }
            }
            try #require(reloaded, "\(server.log)")
            let applied = ConfigReloadTests.events(server.log, "reload.config").compactMap { $0["applied"] as? String }
            #expect(applied == ["domain,max-message-size"], "\(server.log)")
            #expect(!server.log.contains("needs_restart"), "\(server.log)")

            // A new session sees the new size and takes mail for the new domain.
            let after = try await outputOf(
                Self.client(port: server.port, tag: "B", wait: nil, recipients: ["new@example.net"])
            )
            #expect(Self.replies(after, "B", "EHLO").contains { $0.hasSuffix("SIZE 50000") }, "\(after)")
            #expect(Self.replies(after, "B", "RCPT").first?.contains("-> 250 ") == true, "\(after)")
            #expect(Self.replies(after, "B", "Subject").first?.contains("-> 250 ") == true, "\(after)")

            // The session opened before keeps its settings (the old size, example.net not local) and still works.
            FileManager.default.createFile(atPath: go, contents: Data())
            let status = try await before.waitForExit(seconds: 60)
            let old = before.output.text
            #expect(status == 0, "\(old) \(before.errors.text)")
            #expect(Self.replies(old, "A", "EHLO").contains { $0.hasSuffix("SIZE 100000") }, "\(old)")
            let rcpts = Self.replies(old, "A", "RCPT")
            #expect(rcpts.count == 2, "\(old)")
            #expect(rcpts.first?.contains("-> 250 ") == true, "\(old)")
            #expect(rcpts.last?.contains("-> 5") == true, "\(old)")
            #expect(Self.replies(old, "A", "Subject").first?.contains("-> 250 ") == true, "\(old)")
        } catch {
            await server.stop()
            throw error
        }
        let status = await server.stop()
        #expect(status == 0, "\(server.log)")
    }
}

import Foundation
import MailTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 15: SIGHUP reads the configuration file again (the log level changes live, a changed port is
/// named as needing a restart, a broken file keeps the old settings) and the DKIM keys, against the real
/// `correo serve --config`.
@Suite(.offThePool) struct ConfigReloadTests {
    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func settings(storage: String, smtpPort: Int, logLevel: String) -> String {
        """
        # correo.toml for ConfigReloadTests
        storage = "\(storage)"
        bind = "127.0.0.1"
        smtp-port = \(smtpPort)
        submission-port = 0
        smtps-port = 0
        imap-port = 0
        imaps-port = 0
        nntp-port = 0
        nntps-port = 0
        log-format = "json"
        log-level = "\(logLevel)"

        """
    }

    /// Opens an SMTP session on `port`, reads the greeting and says QUIT.
    static func greet(port: Int) async throws {
        let script = """
            import socket
            s = socket.create_connection(("127.0.0.1", \(port)), timeout=10)
            print(s.recv(512)); s.sendall(b"QUIT\\r\\n"); print(s.recv(512))
            """
        _ = try await outputOf(["python3", "-c", script])
    }

    static func events(_ log: String, _ event: String) -> [[String: Any]] {
        log.split(separator: "\n").compactMap { line -> [String: Any]? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.filter { $0["event"] as? String == event }
    }

    @Test(.timeLimit(.minutes(5)))
    func sighupAppliesTheLogLevelNamesRestartKeysAndReadsNewDKIMKeys() async throws {
        let storage = try TemporaryDirectory(prefix: "correo-config-reload")
        defer { storage.remove() }
        let work = try TemporaryDirectory(prefix: "correo-config-reload-work")
        defer { work.remove() }
        let file = work.url.appendingPathComponent("correo.toml").path
        let server = try await CorreoServerProcess.start(ports: 1) { ports in
            try? Self.write(Self.settings(storage: storage.path, smtpPort: ports[0], logLevel: "info"), to: file)
            return ["serve", "--config", file]
        }
        do {
            try await Self.greet(port: server.port)
            #expect(!server.log.contains("\"level\":\"debug\""), "\(server.log)")

            // The operator edits the file (a new level, a new port) and adds a DKIM key while it runs.
            try Self.write(Self.settings(storage: storage.path, smtpPort: server.port + 1, logLevel: "debug"), to: file)
            let keygen = try CorreoBinary.run([
                "dkim", "keygen", "example.org", "--selector", "s1", "--algorithm", "ed25519", "-s", storage.path,
            ])
            try #require(keygen.status == 0, "\(keygen.standardError)")
            kill(server.process.process.processIdentifier, SIGHUP)
            let reloaded = try await waitUntil(seconds: 120) { !Self.events(server.log, "reload.dkim").isEmpty }
            try #require(reloaded, "\(server.log)")

            let config = Self.events(server.log, "reload.config")
            #expect(config.contains { $0["applied"] as? String == "log-level" }, "\(server.log)")
            let restart = try #require(config.first { $0["needs_restart"] != nil }, "\(server.log)")
            #expect(restart["needs_restart"] as? String == "smtp-port")
            #expect(restart["level"] as? String == "warning")
            #expect((restart["message"] as? String)?.contains("smtp-port") == true)
            #expect(Self.events(server.log, "reload.dkim").first?["keys"] as? String == "example.org/s1")

            // The new level is in force for sessions from now on; the old port still listens.
            try await Self.greet(port: server.port)
            let debug = try await waitUntil(seconds: 10) { server.log.contains("\"level\":\"debug\"") }
            #expect(debug, "\(server.log)")

            // A broken file: the settings in force stay, the log says why, the server runs on.
            try Self.write("log-level = \"loud\"\n", to: file)
            kill(server.process.process.processIdentifier, SIGHUP)
            let refused = try await waitUntil(seconds: 120) { server.log.contains("configuration not reloaded") }
            #expect(refused, "\(server.log)")
            #expect(server.log.contains("\(file):1: log-level: unknown log level loud"), "\(server.log)")
            #expect(server.process.isRunning)
        } catch {
            await server.stop()
            throw error
        }
        let status = await server.stop()
        #expect(status == 0, "\(server.log)")
    }
}

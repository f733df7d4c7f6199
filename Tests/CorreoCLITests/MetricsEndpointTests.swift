import Foundation
import MailTestSupport
import Testing

/// Issue 15: `--http-port` serves `/healthz` and a Prometheus `/metrics` on loopback that `promtool
/// check metrics` accepts after real traffic (deliveries, a refusal, a failed login, a TLS handshake).
@Suite(.offThePool) struct MetricsEndpointTests {
    @Test(.timeLimit(.minutes(5)))
    func aLiveScrapeAfterTrafficPassesPromtool() async throws {
        let storage = try TemporaryDirectory(prefix: "correo-metrics")
        defer { storage.remove() }
        let added = try CorreoBinary.run(
            ["user", "add", "bob@localhost", "-s", storage.path, "--password-stdin"],
            input: "bob's pass\n"
        )
        try #require(added.status == 0, "\(added.standardError)")
        // A smarthost for the relayed message: aiosmtpd with STARTTLS, trusted through --relay-cafile.
        let smarthost = try TemporaryDirectory(prefix: "correo-metrics-smarthost")
        defer { smarthost.remove() }
        let smarthostTLS = try TestTLS.make(in: smarthost)
        let outdir = smarthost.url.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
        let sink = try SMTPSink(outdir: outdir, tls: smarthostTLS)
        defer { sink.stop() }
        let server = try await CorreoServerProcess.start(ports: 5) { ports in
            [
                "serve", "-s", storage.path, "--smtp-port", String(ports[0]), "--submission-port", String(ports[4]),
                "--smtps-port", "0", "--imap-port", String(ports[1]), "--imaps-port", String(ports[2]), "--nntp-port",
                "0", "--nntps-port", "0",
                "--http-port", String(ports[3]), "--bind", "127.0.0.1", "--allow-plaintext-auth",
                "--relay-host", "127.0.0.1:\(sink.port)", "--relay-cafile", smarthostTLS.certificatePath,
            ]
        }
        let http = "http://127.0.0.1:\(server.ports[3])"
        do {
            // Traffic: one local delivery, one unknown recipient, a failed IMAP login, one TLS handshake.
            _ = try await outputOf([
                "swaks", "--server", "127.0.0.1:\(server.ports[0])", "--to", "bob@localhost", "--from", "a@example.org",
                "--header", "Message-ID: <metrics-1@example.org>",
            ])
            _ = try await outputOf([
                "swaks", "--server", "127.0.0.1:\(server.ports[0])", "--to", "nobody@localhost", "--from",
                "a@example.org",
            ])
            _ = try await outputOf([
                "python3", "-c",
                "import imaplib,sys\nm=imaplib.IMAP4('127.0.0.1',\(server.ports[1]))\n"
                    + "try:\n  m.login('bob@localhost','wrong')\nexcept imaplib.IMAP4.error:\n  pass\n"
                    + "m.login('bob@localhost',\"bob's pass\")\nm.select('INBOX')\nm.logout()",
            ])
            _ = try await outputOf([
                "/bin/sh", "-c", "openssl s_client -connect 127.0.0.1:\(server.ports[2]) </dev/null",
            ])
            // And one that is not TLS at all on the implicit-TLS port.
            _ = try await outputOf([
                "python3", "-c",
                "import socket\ns=socket.create_connection(('127.0.0.1',\(server.ports[2])),timeout=10)\n"
                    + "s.sendall(b'a001 LOGIN plain text\\r\\n')\ns.recv(100)\ns.close()",
            ])
            // One message for another domain: queued, then relayed through the smarthost.
            _ = try await outputOf([
                "swaks", "--server", "127.0.0.1:\(server.ports[4])", "--auth", "PLAIN", "--auth-user", "bob@localhost",
                "--auth-password", "bob's pass", "--from", "bob@localhost", "--to", "carol@remote.example",
            ])
            let relayed = try await waitUntil(seconds: 120) { !sink.messages(for: "carol@remote.example").isEmpty }
            #expect(relayed, "\(server.log)")

            let health = try await outputOf(["curl", "-s", "-i", "\(http)/healthz"])
            #expect(health.hasPrefix("HTTP/1.1 200"), "\(health)")
            #expect(health.hasSuffix("ok\n"))
            let missing = try await outputOf(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "\(http)/nope"])
            #expect(missing == "404")
            let posted = try await outputOf([
                "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "\(http)/metrics",
            ])
            #expect(posted == "405")

            // The queue entry goes once the smarthost's 250 is recorded: scrape until it has (at most 10 s).
            var metrics = ""
            for _ in 0..<20 {
                metrics = try await outputOf(["curl", "-s", "\(http)/metrics"])
                if Self.samples(metrics)["correo_queue_messages"] == 0 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            let file = storage.url.appendingPathComponent("scrape.txt")
            try Data(metrics.utf8).write(to: file)
            let check = try await outputOf([
                "/bin/sh", "-c", "promtool check metrics < '\(file.path)' 2>&1; echo status=$?",
            ])
            #expect(check.hasSuffix("status=0\n"), "promtool: \(check)\n\(metrics)")

            let samples = Self.samples(metrics)
            // The local message and the relayed one.
            #expect(samples["correo_smtp_messages_accepted_total"] == 2, "\(metrics)")
            #expect(samples["correo_smtp_refusals_total{reason=\"unknown recipient\"}"] == 1, "\(metrics)")
            #expect(samples["correo_auth_failures_total{protocol=\"imap\"}"] == 1, "\(metrics)")
            // The start-up probe's connections count too.
            #expect((samples["correo_sessions_total{protocol=\"smtp\"}"] ?? 0) >= 2, "\(metrics)")
            #expect(samples["correo_tls_handshakes_total{protocol=\"imaps\",result=\"ok\"}"] == 1, "\(metrics)")
            // The plain-text client, and the start-up probe's bare connects.
            #expect(
                (samples["correo_tls_handshakes_total{protocol=\"imaps\",result=\"failed\"}"] ?? 0) >= 1,
                "\(metrics)"
            )
            #expect(samples["correo_queue_messages"] == 0, "\(metrics)")
            let delivered = ["sent", "relayed"].map { samples["correo_deliveries_total{status=\"\($0)\"}"] ?? 0 }
            #expect(delivered.reduce(0, +) == 1, "\(metrics)")
            let selects = samples.keys.filter {
                $0.hasPrefix("correo_imap_command_duration_seconds_count") && $0.contains("command=\"SELECT\"")
            }
            #expect(selects.map { samples[$0] } == [1], "\(metrics)")
        } catch {
            await server.stop()
            throw error
        }
        #expect(await server.stop() == 0, "\(server.log)")
    }

    /// `name{labels} value` lines, by everything before the value.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}

import Foundation
import MailTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 12 on one machine: mail submitted at correo `a.test` reaches correo `b.test` through the outbound
/// queue, found by its MX record in a real nameserver (dnsmasq on 127.0.0.1); a recipient that b refuses
/// comes back to the sender as an RFC 3464 report in her INBOX. (The network lab repeats this across
/// namespaces with Postfix as a peer.)
@Suite(.offThePool) struct RelayEndToEndTests {
    @Test(.timeLimit(.minutes(5)))
    func submittedMailReachesAnotherCorreoByMXAndARefusalBouncesToTheSender() async throws {
        let work = try TemporaryDirectory(prefix: "correo-relay")
        defer { work.remove() }
        let storageA = work.path + "/a"
        let storageB = work.path + "/b"
        for (address, storage) in [("alice@a.test", storageA), ("bob@b.test", storageB)] {
            let added = try CorreoBinary.run(
                ["user", "add", address, "-s", storage, "--password-stdin"],
                input: "secret\n"
            )
            try #require(added.status == 0, "\(added.standardError)")
        }
        let dns = try DnsmasqProcess(records: [
            "--mx-host=b.test,mx.b.test,10", "--host-record=mx.b.test,127.0.0.1",
        ])
        let b = try await CorreoServerProcess.start { ports in
            [
                "serve", "-s", storageB, "--domain", "b.test", "--smtp-port", String(ports[0]), "--submission-port",
                "0",
                "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0", "--nntp-port", "0", "--nntps-port", "0",
                "--bind", "127.0.0.1",
                "--dns-server", "127.0.0.1:\(dns.port)", "--inbound-auth-exempt", "none",
            ]
        }
        let a = try await CorreoServerProcess.start { ports in
            [
                "serve", "-s", storageA, "--domain", "a.test", "--smtp-port", "0", "--submission-port",
                String(ports[0]),
                "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0", "--nntp-port", "0", "--nntps-port", "0",
                "--bind", "127.0.0.1",
                "--allow-plaintext-auth", "--dns-server", "127.0.0.1:\(dns.port)", "--mx-port", String(b.port),
                "--queue-retry-min", "1", "--queue-retry-max", "2",
            ]
        }
        func stopAll() async {
            await a.stop()
            await b.stop()
            dns.stop()
        }
        do {
            let swaks = try ChildProcess([
                "swaks", "--server", "127.0.0.1:\(a.port)", "--auth", "PLAIN", "--auth-user", "alice@a.test",
                "--auth-password", "secret", "--from", "alice@a.test", "--to", "bob@b.test,nobody@b.test",
                "--header", "Subject: across the queue", "--body", "Hello Bob.",
            ])
            let status = try await swaks.waitForExit(seconds: 30)
            try #require(status == 0, "swaks: \(swaks.output.text) \(swaks.errors.text)")

            let bobInbox = URL(fileURLWithPath: storageB + "/bob@b.test/new")
            let aliceInbox = URL(fileURLWithPath: storageA + "/alice@a.test/new")
            let arrived = try await waitUntil(seconds: 60) {
                (try? FileManager.default.contentsOfDirectory(atPath: bobInbox.path).count) == 1
                    && (try? FileManager.default.contentsOfDirectory(atPath: aliceInbox.path).count) == 1
            }
            try #require(arrived, "a: \(a.log)\nb: \(b.log)")
            let delivered = try Self.onlyFile(in: bobInbox)
            #expect(delivered.contains("Subject: across the queue"))
            #expect(delivered.contains("Hello Bob."))
            // One Return-Path, the final delivery's; a's Received line travelled with the message.
            #expect(delivered.components(separatedBy: "Return-Path:").count == 2, "\(delivered)")
            // b checked the sender (a.test publishes no SPF or DMARC record) and says so on top.
            #expect(delivered.hasPrefix("Authentication-Results: b.test;"), "\(delivered)")
            #expect(delivered.contains("\r\nReturn-Path: <alice@a.test>\r\n"))
            #expect(delivered.contains("by a.test (correo) with ESMTPA"))

            let report = try Self.onlyFile(in: aliceInbox)
            #expect(report.contains("Content-Type: multipart/report; report-type=delivery-status;"))
            #expect(report.contains("Final-Recipient: rfc822; nobody@b.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"))
            #expect(report.contains("Remote-MTA: dns; mx.b.test"))
            #expect(!report.contains("Final-Recipient: rfc822; bob@b.test"))

            let queue = try CorreoBinary.run(["queue", "list", "-s", storageA])
            #expect(queue.standardOutput.contains("The queue is empty."), "\(queue.standardOutput)")
        } catch {
            await stopAll()
            throw error
        }
        await stopAll()
    }

    /// `--local-delivery queue`: local mail is durable in the queue at the `250` and delivered into the
    /// Maildir just after, by the runner, with the final delivery's Return-Path; an unknown user still
    /// gets `550 5.1.1` at RCPT (the queue never takes what the direct path would refuse).
    @Test(.timeLimit(.minutes(5)))
    func queueFirstLocalDeliveryReachesTheMaildir() async throws {
        let work = try TemporaryDirectory(prefix: "correo-localq")
        defer { work.remove() }
        let storage = work.path + "/a"
        let added = try CorreoBinary.run(
            ["user", "add", "bob@a.test", "-s", storage, "--password-stdin"],
            input: "secret\n"
        )
        try #require(added.status == 0, "\(added.standardError)")
        let a = try await CorreoServerProcess.start { ports in
            [
                "serve", "-s", storage, "--domain", "a.test", "--smtp-port", String(ports[0]), "--submission-port", "0",
                "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0", "--nntp-port", "0", "--nntps-port", "0",
                "--bind", "127.0.0.1", "--local-delivery", "queue",
            ]
        }
        do {
            let swaks = try ChildProcess([
                "swaks", "--server", "127.0.0.1:\(a.port)", "--from", "carol@elsewhere.test", "--to", "bob@a.test",
                "--header", "Subject: through the queue", "--body", "Hello Bob.",
            ])
            try #require(try await swaks.waitForExit(seconds: 30) == 0, "swaks: \(swaks.output.text)")
            let refused = try ChildProcess([
                "swaks", "--server", "127.0.0.1:\(a.port)", "--from", "carol@elsewhere.test", "--to", "nobody@a.test",
            ])
            _ = try await refused.waitForExit(seconds: 30)
            #expect(refused.output.text.contains("550 5.1.1"), "\(refused.output.text)")

            let inbox = URL(fileURLWithPath: storage + "/bob@a.test/new")
            let arrived = try await waitUntil(seconds: 120) {
                (try? FileManager.default.contentsOfDirectory(atPath: inbox.path).count) == 1
            }
            try #require(arrived, "\(a.log)")
            let delivered = try Self.onlyFile(in: inbox)
            #expect(delivered.hasPrefix("Return-Path: <carol@elsewhere.test>\r\n"), "\(delivered)")
            #expect(delivered.components(separatedBy: "Return-Path:").count == 2)
            #expect(delivered.contains("Subject: through the queue"))
            let queue = try CorreoBinary.run(["queue", "list", "-s", storage])
            #expect(queue.standardOutput.contains("The queue is empty."), "\(queue.standardOutput)")
        } catch {
            await a.stop()
            throw error
        }
        await a.stop()
    }

    static func onlyFile(in folder: URL) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        try #require(names.count == 1, "\(names)")
        return String(decoding: try Data(contentsOf: folder.appendingPathComponent(names[0])), as: UTF8.self)
    }
}

/// dnsmasq on 127.0.0.1 and a free port, authoritative for `test` from its command line only.
///
/// It runs as a daemon (its pid in a file) rather than as a child kept by Foundation's `Process`: with a
/// dnsmasq child, Foundation was seen to stop reaping the test's other children (swaks stayed a zombie).
final class DnsmasqProcess: @unchecked Sendable {
    let port: Int
    private let pidFile: String

    init(records: [String]) throws {
        guard
            let path = ["/usr/sbin/dnsmasq", "/usr/local/sbin/dnsmasq", "/sbin/dnsmasq"]
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { throw EndToEndFailure("dnsmasq is not installed: run scripts/install-test-deps.sh") }
        port = try LoopbackPort.free()
        pidFile =
            FileManager.default.temporaryDirectory.appendingPathComponent("correo-dnsmasq-\(UUID().uuidString).pid")
            .path
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments =
            [
                "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                "--conf-file=/dev/null", "--pid-file=\(pidFile)", "--user=root", "--local=/test/",
            ] + records
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitForExit()  // the daemon has forked and written its pid file
        guard process.terminationStatus == 0 else { throw EndToEndFailure("dnsmasq did not start") }
    }

    func stop() {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGKILL)
        }
        try? FileManager.default.removeItem(atPath: pidFile)
    }
}

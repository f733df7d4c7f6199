import Foundation
import MailTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 14 with issue 15's reload: SIGHUP's new certificate reaches NNTP too — a new NNTPS connection
/// and a STARTTLS on the plain NNTP port both present it, while a reader connected before keeps reading.
extension ReloadAndLogTests {
    @Test(.timeLimit(.minutes(5)))
    func sighupServesTheNewCertificateOnNNTPSAndSTARTTLS() async throws {
        let storage = try TemporaryDirectory(prefix: "correo-nntp-reload-storage")
        defer { storage.remove() }
        let work = try TemporaryDirectory(prefix: "correo-nntp-reload-work")
        defer { work.remove() }
        let first = try TemporaryDirectory(prefix: "correo-nntp-reload-a")
        defer { first.remove() }
        let second = try TemporaryDirectory(prefix: "correo-nntp-reload-b")
        defer { second.remove() }
        let made = try CorreoBinary.run(["group", "add", "local.reload", "-s", storage.path])
        try #require(made.status == 0, "\(made.standardError)")
        let old = try TestTLS.make(in: first)
        let new = try TestTLS.make(in: second)
        let cert = work.url.appendingPathComponent("cert.pem").path
        let key = work.url.appendingPathComponent("key.pem").path
        try install(old, cert: cert, key: key)

        let server = try await CorreoServerProcess.start(ports: 2) { ports in
            [
                "serve", "-s", storage.path, "--smtp-port", "0", "--submission-port", "0", "--smtps-port", "0",
                "--imap-port", "0", "--imaps-port", "0", "--nntp-port", String(ports[0]),
                "--nntps-port", String(ports[1]), "--bind", "127.0.0.1", "--cert", cert, "--key", key,
                "--log-format", "json",
            ]
        }
        let (nntp, nntps) = (server.ports[0], server.ports[1])
        do {
            let oldSerial = try await fileSerial(old.certificatePath)
            let newSerial = try await fileSerial(new.certificatePath)
            try #require(oldSerial != newSerial)
            #expect(try await servedSerial(port: nntps) == oldSerial)
            #expect(try await servedSerial(port: nntp, starttls: "nntp") == oldSerial)

            // A reader connected over NNTPS before the reload, still reading after it.
            let reader = try ChildProcess(
                [
                    "python3", "-W", "ignore", "-c",
                    """
                    import nntplib, ssl, sys, time
                    context = ssl.create_default_context()
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                    s = nntplib.NNTP_SSL('127.0.0.1', \(nntps), ssl_context=context, readermode=True, timeout=20)
                    print('CONNECTED', flush=True)
                    for _ in range(300):
                        try:
                            open('\(work.path)/go').close()
                            break
                        except OSError:
                            time.sleep(0.1)
                    print(s.group('local.reload')[4], s.date()[0] is not None)
                    s.quit()
                    """,
                ]
            )
            let connected = try await waitUntil(seconds: 120) {
                reader.output.text.contains("CONNECTED") || !reader.isRunning
            }
            try #require(connected && reader.isRunning, "\(reader.output.text) \(reader.errors.text)")

            try install(new, cert: cert, key: key)
            kill(server.process.process.processIdentifier, SIGHUP)
            let reloaded = try await waitUntil(seconds: 120) { server.log.contains("\"event\":\"reload.tls\"") }
            try #require(reloaded, "\(server.log)")
            _ = FileManager.default.createFile(atPath: work.path + "/go", contents: nil)

            #expect(try await servedSerial(port: nntps) == newSerial)
            #expect(try await servedSerial(port: nntp, starttls: "nntp") == newSerial)
            var status = try await reader.waitForExit(seconds: 30)
            if status == nil { status = await reader.stop() }
            #expect(status == 0, "\(reader.output.text) \(reader.errors.text)")
            #expect(reader.output.text.contains("local.reload True"), "\(reader.output.text)")
        } catch {
            await server.stop()
            throw error
        }
        let serverStatus = await server.stop()
        #expect(serverStatus == 0, "\(server.log)")
        // Every NNTP session's end was logged, with the TLS version for those that had TLS.
        let ends = server.log.split(separator: "\n").filter { $0.contains("\"event\":\"nntp.disconnect\"") }
        #expect(ends.count >= 5, "\(server.log)")
        #expect(ends.contains { $0.contains("\"tls\":\"TLSv1.3\"") && $0.contains("\"protocol\":\"nntps\"") })
        #expect(ends.contains { $0.contains("\"tls\":\"TLSv1.3\"") && $0.contains("\"protocol\":\"nntp\"") })
    }
}

import Foundation
import MailTestSupport
import Testing

/// Issue 13: `correo serve --https-port` publishes the MTA-STS policy, Thunderbird autoconfig and Outlook
/// autodiscover over real TLS (the test certificate, checked by curl), by Host header and for the local
/// domain only; `--autoconfig-http-port` serves autoconfig alone over plain HTTP; /metrics stays on the
/// loopback operator listener.
@Suite(.offThePool) struct PublishingEndToEndTests {
    /// The answer's status and body, through curl (`--resolve`-free: Host is a header, TLS checks localhost).
    static func fetch(
        _ url: String,
        host: String,
        certificate: String?,
        method: String = "GET",
        data: String? = nil
    ) async throws -> (status: Int, body: String) {
        var arguments = ["curl", "-s", "--max-time", "10", "-X", method, "-H", "Host: \(host)", "-w", "\n%{http_code}"]
        if let certificate { arguments += ["--cacert", certificate] }
        if let data { arguments += ["-H", "Content-Type: text/xml", "--data-binary", data] }
        let output = try await outputOf(arguments + [url])
        guard let newline = output.lastIndex(of: "\n") else { return (0, output) }
        return (
            Int(output[output.index(after: newline)...].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0,
            String(output[..<newline])
        )
    }

    /// One line per server element of an autoconfig or autodiscover document, read by Python's XML parser.
    static func servers(_ xml: String, autodiscover: Bool = false) async throws -> [String] {
        let script =
            autodiscover
            ? """
            import sys, xml.etree.ElementTree as E
            ns = {'r': 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'}
            root = E.fromstring(sys.argv[1])
            for p in root.iterfind('.//r:Protocol', ns):
                t = lambda n: (p.findtext('r:' + n, '', ns))
                print(' '.join([t('Type'), t('Server'), t('Port'), t('SSL') or 'Encryption=' + t('Encryption'), t('LoginName')]))
            """
            : """
            import sys, xml.etree.ElementTree as E
            root = E.fromstring(sys.argv[1])
            for s in list(root.iter('incomingServer')) + list(root.iter('outgoingServer')):
                print(' '.join([s.get('type'), s.findtext('hostname'), s.findtext('port'), s.findtext('socketType'), s.findtext('username')]))
            """
        return try await outputOf(["python3", "-c", script, xml]).split(separator: "\n").map(String.init)
    }

    @Test(.timeLimit(.minutes(5)))
    func policyAutoconfigAndAutodiscoverOverTLS() async throws {
        let work = try TemporaryDirectory(prefix: "correo-publishing")
        defer { work.remove() }
        let tls = try TestTLS.make(in: work)
        let server = try await CorreoServerProcess.start(ports: 8) { ports in
            [
                "serve", "-s", work.path + "/storage", "--domain", "b.test", "--hostname", "mail.b.test",
                "--cert", tls.certificatePath, "--key", tls.privateKeyPath, "--bind", "127.0.0.1",
                "--smtp-port", String(ports[0]), "--submission-port", String(ports[1]), "--smtps-port",
                String(ports[2]),
                "--imap-port", String(ports[3]), "--imaps-port", String(ports[4]), "--nntp-port", "0", "--nntps-port",
                "0",
                "--http-port", String(ports[5]), "--https-port", String(ports[6]), "--autoconfig-http-port",
                String(ports[7]),
                "--mta-sts-mode", "enforce", "--mta-sts-max-age", "86400",
            ]
        }
        let p = server.ports
        let https = "https://localhost:\(p[6])"
        let cert = tls.certificatePath
        do {
            // The policy, byte for byte (RFC 8461 §3.2), only on mta-sts.DOMAIN of a local domain.
            let policy = try await Self.fetch(
                "\(https)/.well-known/mta-sts.txt",
                host: "mta-sts.b.test",
                certificate: cert
            )
            #expect(policy.status == 200)
            #expect(
                policy.body == "version: STSv1\r\nmode: enforce\r\nmx: mail.b.test\r\nmax_age: 86400\r\n",
                "\(policy.body)"
            )
            #expect(
                try await Self.fetch("\(https)/.well-known/mta-sts.txt", host: "b.test", certificate: cert).status
                    == 404
            )
            #expect(
                try await Self.fetch("\(https)/.well-known/mta-sts.txt", host: "mta-sts.other.test", certificate: cert)
                    .status == 404
            )
            #expect(
                try await Self.fetch(
                    "\(https)/.well-known/mta-sts.txt",
                    host: "mta-sts.b.test",
                    certificate: cert,
                    method: "DELETE"
                ).status == 405
            )

            // Autoconfig: both of Thunderbird's URLs, the ports correo listens on, the address as user name.
            let expected = [
                "imap mail.b.test \(p[4]) SSL %EMAILADDRESS%", "imap mail.b.test \(p[3]) STARTTLS %EMAILADDRESS%",
                "smtp mail.b.test \(p[2]) SSL %EMAILADDRESS%", "smtp mail.b.test \(p[1]) STARTTLS %EMAILADDRESS%",
            ]
            let byAddress = try await Self.fetch(
                "\(https)/mail/config-v1.1.xml?emailaddress=bob%40b.test",
                host: "autoconfig.b.test",
                certificate: cert
            )
            #expect(byAddress.status == 200)
            #expect(try await Self.servers(byAddress.body) == expected, "\(byAddress.body)")
            let wellKnown = try await Self.fetch(
                "\(https)/.well-known/autoconfig/mail/config-v1.1.xml",
                host: "b.test",
                certificate: cert
            )
            #expect(wellKnown.status == 200)
            #expect(try await Self.servers(wellKnown.body) == expected)
            #expect(
                try await Self.fetch(
                    "\(https)/mail/config-v1.1.xml?emailaddress=eve%40other.test",
                    host: "autoconfig.b.test",
                    certificate: cert
                ).status == 404
            )
            #expect(
                try await Self.fetch("\(https)/mail/config-v1.1.xml", host: "autoconfig.other.test", certificate: cert)
                    .status == 404
            )

            // Autodiscover: Outlook's POX request and response.
            let request = """
                <?xml version="1.0" encoding="utf-8"?>
                <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
                <Request><EMailAddress>bob@b.test</EMailAddress>
                <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
                </Request></Autodiscover>
                """
            let discovered = try await Self.fetch(
                "\(https)/autodiscover/autodiscover.xml",
                host: "autodiscover.b.test",
                certificate: cert,
                method: "POST",
                data: request
            )
            #expect(discovered.status == 200)
            #expect(
                try await Self.servers(discovered.body, autodiscover: true) == [
                    "IMAP mail.b.test \(p[4]) on bob@b.test", "IMAP mail.b.test \(p[3]) Encryption=TLS bob@b.test",
                    "SMTP mail.b.test \(p[2]) on bob@b.test", "SMTP mail.b.test \(p[1]) Encryption=TLS bob@b.test",
                ],
                "\(discovered.body)"
            )
            #expect(
                try await Self.fetch(
                    "\(https)/autodiscover/autodiscover.xml",
                    host: "autodiscover.b.test",
                    certificate: cert
                ).status == 405
            )
            let foreign = request.replacingOccurrences(of: "bob@b.test", with: "eve@other.test")
            #expect(
                try await Self.fetch(
                    "\(https)/autodiscover/autodiscover.xml",
                    host: "autodiscover.b.test",
                    certificate: cert,
                    method: "POST",
                    data: foreign
                ).status == 404
            )
            let huge = String(repeating: "x", count: 20_000)
            #expect(
                try await Self.fetch(
                    "\(https)/autodiscover/autodiscover.xml",
                    host: "autodiscover.b.test",
                    certificate: cert,
                    method: "POST",
                    data: huge
                ).status == 413
            )

            // The operator's routes are not on the public listener; they are on the loopback one.
            #expect(try await Self.fetch("\(https)/metrics", host: "localhost", certificate: cert).status == 404)
            #expect(try await Self.fetch("\(https)/healthz", host: "b.test", certificate: cert).status == 404)
            #expect(
                try await Self.fetch("http://127.0.0.1:\(p[5])/healthz", host: "localhost", certificate: nil).status
                    == 200
            )
            #expect(try await Self.fetch("\(https)/nothing", host: "b.test", certificate: cert).status == 404)

            // Plain HTTP: autoconfig only, never the policy (RFC 8461 §3.3) nor autodiscover.
            let plain = "http://127.0.0.1:\(p[7])"
            let plainConfig = try await Self.fetch(
                "\(plain)/mail/config-v1.1.xml?emailaddress=bob%40b.test",
                host: "autoconfig.b.test",
                certificate: nil
            )
            #expect(plainConfig.status == 200)
            #expect(try await Self.servers(plainConfig.body) == expected)
            #expect(
                try await Self.fetch("\(plain)/.well-known/mta-sts.txt", host: "mta-sts.b.test", certificate: nil)
                    .status == 404
            )
            #expect(
                try await Self.fetch(
                    "\(plain)/autodiscover/autodiscover.xml",
                    host: "b.test",
                    certificate: nil,
                    method: "POST",
                    data: request
                ).status == 404
            )
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// A renewed certificate reaches the HTTPS listener on SIGHUP, as it reaches SMTP and IMAP: the
    /// listener reads the servers' one reloadable TLS context for each new connection.
    @Test(.timeLimit(.minutes(5)))
    func aRenewedCertificateReachesTheHTTPSListenerOnSIGHUP() async throws {
        let work = try TemporaryDirectory(prefix: "correo-publishing-reload")
        defer { work.remove() }
        let first = try TemporaryDirectory(prefix: "correo-publishing-a")
        defer { first.remove() }
        let second = try TemporaryDirectory(prefix: "correo-publishing-b")
        defer { second.remove() }
        let old = try TestTLS.make(in: first)
        let new = try TestTLS.make(in: second)
        let cert = work.url.appendingPathComponent("cert.pem").path
        let key = work.url.appendingPathComponent("key.pem").path
        func install(_ tls: TestTLS) throws {
            for (from, to) in [(tls.certificatePath, cert), (tls.privateKeyPath, key)] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        try install(old)
        let server = try await CorreoServerProcess.start(ports: 1) { ports in
            [
                "serve", "-s", work.path + "/storage", "--domain", "b.test", "--cert", cert, "--key", key, "--bind",
                "127.0.0.1",
                "--smtp-port", "0", "--submission-port", "0", "--smtps-port", "0", "--imap-port", "0", "--imaps-port",
                "0",
                "--nntp-port", "0", "--nntps-port", "0", "--https-port", String(ports[0]), "--log-format", "json",
            ]
        }
        let url = "https://localhost:\(server.port)/.well-known/mta-sts.txt"
        do {
            #expect(try await Self.fetch(url, host: "mta-sts.b.test", certificate: old.certificatePath).status == 200)
            try install(new)
            kill(server.process.process.processIdentifier, SIGHUP)
            let reloaded = try await waitUntil(seconds: 120) { server.log.contains("\"event\":\"reload.tls\"") }
            try #require(reloaded, "\(server.log)")
            #expect(try await Self.fetch(url, host: "mta-sts.b.test", certificate: new.certificatePath).status == 200)
            // curl refuses the new certificate with the old one as its only CA: no HTTP status at all.
            #expect(try await Self.fetch(url, host: "mta-sts.b.test", certificate: old.certificatePath).status == 0)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// Over the per-address cap, the HTTPS listener still answers inside TLS: a 503 the client can read.
    @Test(.timeLimit(.minutes(5)))
    func overTheCapTheRefusalIsInsideTLS() async throws {
        let work = try TemporaryDirectory(prefix: "correo-publishing-cap")
        defer { work.remove() }
        let tls = try TestTLS.make(in: work)
        let server = try await CorreoServerProcess.start(ports: 1) { ports in
            [
                "serve", "-s", work.path + "/storage", "--domain", "b.test", "--cert", tls.certificatePath, "--key",
                tls.privateKeyPath,
                "--bind", "127.0.0.1", "--smtp-port", "0", "--submission-port", "0", "--smtps-port", "0", "--imap-port",
                "0",
                "--imaps-port", "0", "--nntp-port", "0", "--nntps-port", "0", "--https-port", String(ports[0]),
                "--max-connections-per-address", "1",
            ]
        }
        // One connection held open until the test stops it, then a second. The holder keeps sending header
        // lines of a request it never ends, every 2 s: the listener closes a connection silent for 30 s, and a
        // loaded machine once let an idle holder reach that before the second connection was made.
        let script = """
            import socket, ssl, sys, time
            context = ssl.create_default_context(cafile=sys.argv[2])
            raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
            held = context.wrap_socket(raw, server_hostname="localhost")
            held.sendall(b"GET /.well-known/mta-sts.txt HTTP/1.1\\r\\nHost: mta-sts.b.test\\r\\n")
            print("HELD", flush=True)
            for _ in range(150):
                time.sleep(2)
                held.sendall(b"X-Still-Here: 1\\r\\n")
            """
        let holder = try ChildProcess(["python3", "-c", script, String(server.port), tls.certificatePath])
        do {
            let held = try await waitUntil(seconds: 120) {
                holder.output.text.contains("HELD") || !holder.isRunning
            }
            try #require(held && holder.isRunning, "\(holder.errors.text)")
            let refused = try await Self.fetch(
                "https://localhost:\(server.port)/.well-known/mta-sts.txt",
                host: "mta-sts.b.test",
                certificate: tls.certificatePath
            )
            #expect(refused.status == 503)
        } catch {
            await holder.stop()
            await server.stop()
            throw error
        }
        await holder.stop()
        await server.stop()
    }

    /// Real Thunderbird (headless, driven over Marionette) is given only bob@b.test and a password,
    /// fetches correo's autoconfig over HTTPS and logs in over IMAP with what it found
    /// (interop/e2e/thunderbird_autoconfig.py, in a private network namespace so that port 443 is free).
    @Test(.timeLimit(.minutes(5)))
    func thunderbirdFindsTheSettingsAndLogsIn() async throws {
        let script = CorreoBinary.packageRoot.appendingPathComponent("interop/e2e/thunderbird_autoconfig.py").path
        let run = try ChildProcess(["python3", script, CorreoBinary.url.path])
        var status = try await run.waitForExit(seconds: 280)
        if status == nil { status = await run.stop() }
        let output = run.output.text + run.errors.text
        #expect(status == 0, "\(output)")
        #expect(output.contains("PASS IMAP login with the discovered settings"), "\(output)")
        #expect(output.contains("thunderbird-autoconfig: ok"), "\(output)")
    }
}

import Foundation
import MailTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 15: the unit in contrib/systemd passes `systemd-analyze verify`, and correo speaks sd_notify
/// to a real `$NOTIFY_SOCKET`: READY=1 once listening, RELOADING=1 then READY=1 around SIGHUP,
/// STOPPING=1 on SIGTERM.
@Suite(.offThePool) struct SystemdTests {
    @Test func theUnitFileVerifies() async throws {
        let folder = try TemporaryDirectory(prefix: "correo-unit")
        defer { folder.remove() }
        let source = CorreoBinary.packageRoot.appendingPathComponent("contrib/systemd/correo.service")
        // verify checks that ExecStart's program exists: point it at the binary just built.
        let unit = try String(contentsOf: source, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/correo", with: CorreoBinary.url.path)
        let file = folder.url.appendingPathComponent("correo.service")
        try unit.write(to: file, atomically: true, encoding: .utf8)
        let check = try ChildProcess(["systemd-analyze", "verify", file.path])
        let status = try await check.waitForExit(seconds: 60)
        #expect(status == 0, "\(check.errors.text)")
        // It exits 0 even for an unknown key or a bad value, which it reports on standard error.
        #expect(check.errors.text.isEmpty, "\(check.errors.text)")
    }

    @Test("the unit runs from /etc/correo/correo.toml, and the example file in contrib passes config check")
    func theUnitUsesTheExampleConfigFile() async throws {
        let root = CorreoBinary.packageRoot
        let unit = try String(
            contentsOf: root.appendingPathComponent("contrib/systemd/correo.service"),
            encoding: .utf8
        )
        #expect(unit.contains("ExecStart=/usr/local/bin/correo serve --config /etc/correo/correo.toml\n"))
        let example = root.appendingPathComponent("contrib/correo.toml").path
        let text = try String(contentsOfFile: example, encoding: .utf8)
        // Every line that is not a comment is a key that config check counts.
        let keys = text.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains(" = ") }
        let check = try CorreoBinary.run(["config", "check", "--config", example])
        #expect(check.status == 0, "\(check.standardError)")
        #expect(check.standardOutput == "\(example): OK, \(keys.count) settings\n", "\(check.standardOutput)")
        #expect(keys.count >= 10)
    }

    @Test(.timeLimit(.minutes(5)))
    func readyReloadingAndStoppingReachTheNotifySocket() async throws {
        let folder = try TemporaryDirectory(prefix: "correo-notify")
        defer { folder.remove() }
        let socketPath = folder.url.appendingPathComponent("notify").path
        let listener = try ChildProcess([
            "python3", "-c",
            """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(sys.argv[1])
            s.settimeout(240)  # a loaded full run has kept serve from READY for over a minute
            print('BOUND', flush=True)
            while True:
                data = s.recv(4096).decode()
                print(data.split('\\n')[0], flush=True)
                if data.startswith('STOPPING=1'):
                    break
            """,
            socketPath,
        ])
        try #require(try await waitUntil(seconds: 120) { listener.output.text.contains("BOUND") })
        let port = try LoopbackPort.free()
        let server = try ChildProcess([
            "NOTIFY_SOCKET=\(socketPath)", CorreoBinary.url.path, "serve", "-s", folder.path + "/mail", "--bind",
            "127.0.0.1", "--smtp-port", String(port), "--submission-port", "0", "--smtps-port", "0",
            "--imap-port", "0", "--imaps-port", "0", "--nntp-port", "0", "--nntps-port", "0",
        ])
        let ready = try await waitUntil(seconds: 120) { listener.output.text.contains("READY=1") }
        #expect(ready, "\(server.errors.text)")
        #expect(LoopbackPort.accepts(port))
        kill(server.process.processIdentifier, SIGHUP)
        let reloaded = try await waitUntil(seconds: 120) {
            listener.output.text.components(separatedBy: "READY=1").count == 3
        }
        #expect(reloaded, "\(listener.output.text) \(server.errors.text)")
        #expect(await server.stop() == 0, "\(server.errors.text)")
        _ = try await listener.waitForExit(seconds: 20)
        await listener.stop()
        let messages = listener.output.text.split(separator: "\n").map(String.init)
        #expect(messages == ["BOUND", "READY=1", "RELOADING=1", "READY=1", "STOPPING=1"], "\(messages)")
    }
}

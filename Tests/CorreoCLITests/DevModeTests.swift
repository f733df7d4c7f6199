import Foundation
import MailTestSupport
import Testing

/// Issue 17: `correo serve --dev` driven the way an application's test suite drives it: smtplib sends,
/// the API's wait finds the message, its parsed JSON is checked, and imaplib reads it logged in as the
/// recipient's address (interop/dev/test_dev_api.py, standard library only).
@Suite struct DevModeTests {
    @Test(.timeLimit(.minutes(5)))
    func anApplicationsTestSuitePassesAgainstServeDev() async throws {
        let script = CorreoBinary.packageRoot.appendingPathComponent("interop/dev/test_dev_api.py").path
        let child = try ChildProcess(["env", "CORREO_BINARY=\(CorreoBinary.url.path)", "python3", script])
        guard let status = try await child.waitForExit(seconds: 240) else {
            await child.stop()
            Issue.record("the suite did not finish in 240 s:\n\(child.errors.text)")
            return
        }
        // unittest reports on standard error: "Ran N tests" and "OK" when all passed.
        #expect(status == 0, "\(child.errors.text)\n\(child.output.text)")
        #expect(child.errors.text.contains("Ran 10 tests"), "\(child.errors.text)")
    }

    /// schemathesis (scripts/install-test-deps.sh installs it) fuzzes every operation of the served
    /// OpenAPI document but the endless event stream and the long-poll, and finds no failure.
    @Test(.timeLimit(.minutes(10)))
    func schemathesisFindsNoFailureInTheOpenAPIDocument() async throws {
        let script = CorreoBinary.packageRoot.appendingPathComponent("interop/dev/schemathesis_check.py").path
        let child = try ChildProcess(["env", "CORREO_BINARY=\(CorreoBinary.url.path)", "python3", script])
        guard let status = try await child.waitForExit(seconds: 540) else {
            await child.stop()
            Issue.record("schemathesis did not finish in 540 s:\n\(child.output.text)")
            return
        }
        #expect(status == 0, "\(child.output.text)\n\(child.errors.text)")
        #expect(child.output.text.contains("passed"), "\(child.output.text)")
    }

    /// Headless Chromium (scripts/install-test-deps.sh installs it) shows the list and a message, a
    /// message sent while the list is open appears without a reload, and the screenshots are kept in
    /// .build/dev-screenshots/ (list.png, message.png).
    @Test(.timeLimit(.minutes(5)))
    func theWebPageUpdatesLiveInHeadlessChromium() async throws {
        let script = CorreoBinary.packageRoot.appendingPathComponent("interop/dev/browser_check.py").path
        let shots = CorreoBinary.packageRoot.appendingPathComponent(".build/dev-screenshots").path
        let child = try ChildProcess(["env", "CORREO_BINARY=\(CorreoBinary.url.path)", "python3", script, shots])
        guard let status = try await child.waitForExit(seconds: 240) else {
            await child.stop()
            Issue.record("the browser check did not finish in 240 s:\n\(child.errors.text)")
            return
        }
        #expect(status == 0, "\(child.output.text)\n\(child.errors.text)")
        #expect(child.output.text.contains("browser check passed"), "\(child.output.text)\n\(child.errors.text)")
        #expect(FileManager.default.fileExists(atPath: shots + "/list.png"))
        #expect(FileManager.default.fileExists(atPath: shots + "/message.png"))
    }

    /// Without -s it keeps mail in a fresh folder and says which; it listens on loopback, warns, and
    /// opens no NNTP.
    @Test(.timeLimit(.minutes(2)))
    func startsOnLoopbackInAFreshFolderWithTheWarning() async throws {
        let server = try await CorreoServerProcess.start(ports: 3) { ports in
            [
                "serve", "--dev", "--smtp-port", String(ports[0]), "--submission-port", "0",
                "--imap-port", String(ports[1]), "--imaps-port", "0", "--http-port", String(ports[2]),
            ]
        }
        // The lines follow the binding of the ports by a moment.
        _ = try await waitUntil(seconds: 10) { server.log.contains("correo --dev: send to SMTP") }
        let log = server.log
        await server.stop()
        let kept = log.components(separatedBy: "mail kept in ").last?.prefix { !$0.isNewline }.trimmingCharacters(in: .whitespaces)
        let folder = try #require(kept, "\(log)")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(folder.contains("/correo-dev-"), "\(log)")
        #expect(FileManager.default.fileExists(atPath: folder + "/tls/cert.pem"), "\(folder)")
        #expect(log.contains("never let it face the internet"), "\(log)")
        #expect(log.contains("smtp 127.0.0.1:"), "\(log)")
        #expect(log.contains("http 127.0.0.1:"), "\(log)")
        #expect(!log.contains("nntp"), "\(log)")
    }
}

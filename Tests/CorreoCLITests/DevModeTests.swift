import Foundation
import MailTestSupport
import Testing

/// Issue 17: `correo serve --dev` driven the way an application's test suite drives it: smtplib sends,
/// the API's wait finds the message, its parsed JSON is checked, and imaplib reads it logged in as the
/// recipient's address (interop/dev/test_dev_api.py, standard library only).
@Suite(.offThePool) struct DevModeTests {
    /// What a script of interop/dev/ printed and how it exited, run with CORREO_BINARY set; nil (and an
    /// issue recorded) when it did not finish in `seconds`.
    func runScript(
        _ name: String,
        _ arguments: [String] = [],
        seconds: Double
    ) async throws
        -> (status: Int32, output: String, errors: String)?
    {
        let script = CorreoBinary.packageRoot.appendingPathComponent("interop/dev/\(name)").path
        let child = try ChildProcess(["env", "CORREO_BINARY=\(CorreoBinary.url.path)", "python3", script] + arguments)
        guard let status = try await child.waitForExit(seconds: seconds) else {
            await child.stop()
            Issue.record("\(name) did not finish in \(Int(seconds)) s:\n\(child.output.text)\n\(child.errors.text)")
            return nil
        }
        return (status, child.output.text, child.errors.text)
    }

    @Test(.timeLimit(.minutes(5)))
    func anApplicationsTestSuitePassesAgainstServeDev() async throws {
        guard let run = try await runScript("test_dev_api.py", seconds: 240) else { return }
        // unittest reports on standard error: "Ran N tests" and "OK" when all passed.
        #expect(run.status == 0, "\(run.errors)\n\(run.output)")
        #expect(run.errors.contains("Ran 13 tests"), "\(run.errors)")
    }

    /// schemathesis (scripts/install-test-deps.sh installs it) fuzzes every operation of the served
    /// OpenAPI document but the endless event stream and the long-poll, and finds no failure.
    @Test(.timeLimit(.minutes(10)))
    func schemathesisFindsNoFailureInTheOpenAPIDocument() async throws {
        guard let run = try await runScript("schemathesis_check.py", seconds: 540) else { return }
        #expect(run.status == 0, "\(run.output)\n\(run.errors)")
        #expect(run.output.contains("passed"), "\(run.output)")
    }

    /// Headless Chromium (scripts/install-test-deps.sh installs it) shows the list and a message, a
    /// message sent while the list is open appears without a reload, and the screenshots are kept in
    /// .build/dev-screenshots/ (list.png, message.png).
    @Test(.timeLimit(.minutes(5)))
    func theWebPageUpdatesLiveInHeadlessChromium() async throws {
        let shots = CorreoBinary.packageRoot.appendingPathComponent(".build/dev-screenshots").path
        guard let run = try await runScript("browser_check.py", [shots], seconds: 240) else { return }
        #expect(run.status == 0, "\(run.output)\n\(run.errors)")
        #expect(run.output.contains("browser check passed"), "\(run.output)\n\(run.errors)")
        #expect(FileManager.default.fileExists(atPath: shots + "/list.png"))
        #expect(FileManager.default.fileExists(atPath: shots + "/message.png"))
    }

    /// Real Thunderbird on an Xvfb display (scripts/install-test-deps.sh installs both), driven over
    /// Marionette, logs in over IMAP as the recipient's address with any password and shows the message
    /// smtplib sent (interop/e2e/thunderbird_dev_mailbox.py).
    @Test(.timeLimit(.minutes(5)))
    func thunderbirdReadsTheRecipientsMailbox() async throws {
        let script = CorreoBinary.packageRoot.appendingPathComponent("interop/e2e/thunderbird_dev_mailbox.py").path
        let run = try ChildProcess(["python3", script, CorreoBinary.url.path])
        var status = try await run.waitForExit(seconds: 280)
        if status == nil { status = await run.stop() }
        let output = run.output.text + run.errors.text
        #expect(status == 0, "\(output)")
        #expect(output.contains("PASS Thunderbird shows the message sent with smtplib"), "\(output)")
        #expect(output.contains("thunderbird-dev-mailbox: ok"), "\(output)")
    }

    /// Without -s it keeps mail in a fresh folder and says which; it listens on loopback, warns, and
    /// opens no NNTP.
    @Test(.timeLimit(.minutes(5)))
    func startsOnLoopbackInAFreshFolderWithTheWarning() async throws {
        let server = try await CorreoServerProcess.start(ports: 3) { ports in
            [
                "serve", "--dev", "--smtp-port", String(ports[0]), "--submission-port", "0",
                "--imap-port", String(ports[1]), "--imaps-port", "0", "--http-port", String(ports[2]),
            ]
        }
        // The lines follow the binding of the ports by a moment.
        _ = try await waitUntil(seconds: 10) { server.log.contains("correo --dev: release through the relay") }
        let log = server.log
        await server.stop()
        let kept = log.components(separatedBy: "mail kept in ").last?.prefix { !$0.isNewline }.trimmingCharacters(
            in: .whitespaces
        )
        let folder = try #require(kept, "\(log)")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(folder.contains("/correo-dev-"), "\(log)")
        #expect(FileManager.default.fileExists(atPath: folder + "/tls/cert.pem"), "\(folder)")
        #expect(log.contains("never let it face the internet"), "\(log)")
        #expect(log.contains("smtp 127.0.0.1:"), "\(log)")
        #expect(log.contains("http 127.0.0.1:"), "\(log)")
        #expect(!log.contains("nntp"), "\(log)")
        // Nothing leaves without --dev-release-allow.
        #expect(log.contains("correo --dev: send to SMTP"), "\(log)")
        #expect(log.contains("correo --dev: release through the relay off"), "\(log)")
    }
}

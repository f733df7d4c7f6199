import Foundation
import MailTestSupport
import Testing

/// A server outlives whoever reads its log: the next line after its reader went away costs the line.
///
/// The reader may be journald, restarted, or `head` in `correo serve 2>&1 | head`. Before, the JSON handler's write
/// trapped on EPIPE (this test: exit status 4, SIGILL), and a reader gone while the server was starting
/// met SIGPIPE's default (exit 141, `correo serve 2>&1 | head -c 10`).
@Suite(.offThePool) struct LogReaderGoneTests {
    private static let withDefaultSIGPIPE =
        "import os, signal, sys; signal.signal(signal.SIGPIPE, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"

    @Test(.timeLimit(.minutes(5)), arguments: ["text", "json"])
    func theServerKeepsServingWhenItsLogReaderCloses(format: String) async throws {
        let directory = try TemporaryDirectory(prefix: "correo-log-reader")
        defer { directory.remove() }
        let port = try LoopbackPort.free()
        let process = SpawnedProcess()
        // As from a shell (`correo serve 2>&1 | head`): SIGPIPE at its default, which this test process,
        // ignoring it, would otherwise pass on. Python restores it and becomes correo (same pid).
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c", Self.withDefaultSIGPIPE, CorreoBinary.url.path, "serve", "-s", directory.path + "/mail",
            "--bind", "127.0.0.1", "--smtp-port", "\(port)",
            "--submission-port", "0", "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0",
            "--nntp-port", "0", "--nntps-port", "0", "--log-level", "info", "--log-format", format,
        ]
        let log = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = log
        try process.run()
        let listening = try await waitUntil(seconds: 120) {
            !process.isRunning || LoopbackPort.isListening(port, by: process.processIdentifier)
        }
        #expect(listening && process.isRunning, "correo did not start")
        // The reader goes away: every line from now on meets a pipe without one.
        try log.fileHandleForReading.close()
        // Each connection is logged (connected, disconnected) at the info level.
        for _ in 0..<5 { _ = LoopbackPort.accepts(port) }
        try await Task.sleep(for: .milliseconds(500))
        #expect(process.isRunning, "exit status \(process.terminationStatus)")
        #expect(LoopbackPort.accepts(port), "still answering")
        if process.isRunning { process.terminate() }
        _ = try await waitUntil(seconds: 30) { !process.isRunning }
        #expect(process.terminationStatus == 0, "a clean stop, not SIGPIPE's 141 or a trap")
    }
}

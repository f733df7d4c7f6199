import Foundation
import MailTestSupport
import Testing

/// interop/smtp/crash_test.py against the built `correo smtpd`: messages are sent while the server is
/// killed with SIGKILL at random moments and restarted; every message answered 250 must be in the
/// Maildir, whole. (The script's own run is longer: `--messages 300`.)
@Suite(.offThePool, .timeLimit(.minutes(5))) struct CrashTests {
    @Test func everyAcknowledgedMessageSurvivesSIGKILL() async throws {
        let binary = CorreoBinary.url.path
        try #require(
            FileManager.default.isExecutableFile(atPath: binary),
            "build correo first (swift build): \(binary) is missing"
        )
        let result = try await ExternalTool.python(
            "crash_test.py",
            ["--binary", binary, "--messages", "60", "--senders", "3", "--max-seconds", "120"]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("PASS"), "\(result.output)")
    }
}

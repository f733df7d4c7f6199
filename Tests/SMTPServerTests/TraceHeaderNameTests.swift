import MailTestSupport
import Testing

@testable import SMTPServer

/// The client's EHLO name as the Received: field carries it: what could break the header goes, the rest
/// stays, the same on the fast path for plain names as on the scalar-by-scalar one.
@Suite(.offThePool) struct TraceHeaderNameTests {
    @Test(arguments: [
        ("mail.example.org", false, "mail.example.org"),
        ("[192.0.2.1]", false, "[192.0.2.1]"),
        ("evil) (injected", false, "evilinjected"),
        ("tab\there", false, "tabhere"),
        ("del\u{7F}x", false, "delx"),
        ("bücher.example", false, "bcher.example"),
        ("bücher.example", true, "bücher.example"),
        ("", false, "unknown"),
        ("()", false, "unknown"),
        ("ü", false, "unknown"),
    ])
    func nameIsKeptOnlyWhereItIsSafe(name: String, utf8: Bool, expected: String) {
        #expect(SMTPSession.headerSafe(name, allowsUTF8: utf8) == expected)
    }
}

import NIOCore
import SMTPCore
import Testing

@testable import SMTPServer

/// Inputs the smtp-session fuzz harness (fuzz/harnesses/smtp-session.swift) found, kept as tests. The
/// reproducers themselves stay in fuzz/corpus/smtp-session/ as seeds.
@Suite struct FuzzRegressionTests {
    /// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets, CRLF included ("250-" or "250 " is 4).
    static func overlongLines(_ actions: [SMTPSession.Action]) -> [Int] {
        SessionHarness.replies(actions).flatMap(\.lines).map { $0.utf8.count + 6 }.filter { $0 > 512 }
    }

    /// The reproducer's EHLO argument, 497 octets: "c", runs of "y" joined by "HL(O", a stray tail.
    static let reproducerName =
        "c" + [107, 47, 70, 107, 79, 47].map { String(repeating: "y", count: $0) }.joined(separator: "HL(O")
        + "HL(Oyle.oample.org>"

    /// regress-ehlo-long-name: the EHLO greeting echoed a ~500-octet client name whole, making a reply line
    /// longer than 512 octets. The name is now cut at the longest domain RFC 5321 4.5.3.1.2 allows.
    @Test func ehloWithAnOverlongNameGetsRepliesWithinTheLineLimit() throws {
        var harness = SessionHarness()
        let actions = harness.send("EHLO \(Self.reproducerName)\r\n")
        #expect(SessionHarness.codes(actions) == [250])
        #expect(Self.overlongLines(actions).isEmpty)
        let first = try #require(SessionHarness.replies(actions).first?.lines.first)
        #expect(first.hasPrefix("mx.example.test greets cyyy"))
    }

    /// The whole reproducer conversation, replayed in one read as the harness's flags byte 0 configured
    /// it (MX listener, no TLS): every reply stays within the limit and the session goes on.
    @Test func theFuzzerConversationReplaysCleanly() {
        let ehlo = "EHLO \(Self.reproducerName)\r\n"
        let rest = "DATA\r\n.\r\nple.org>\r\nRCPT TO:<b@examO:<b@exam.o8\u{0}>\r\nRCPTyyyyyyy\n"
        var harness = SessionHarness(SessionHarness.configuration(tlsAvailable: false))
        let actions = harness.resolving(harness.send(ehlo + rest))
        #expect(Self.overlongLines(actions).isEmpty)
        #expect(SessionHarness.codes(actions).first == 250)
        #expect(!harness.session.isClosed)
    }
}

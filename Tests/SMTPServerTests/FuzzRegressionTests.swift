import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPServer

/// Inputs the smtp-session fuzz harness (fuzz/harnesses/smtp-session.swift) found, kept as tests.
///
/// The reproducers themselves stay in fuzz/corpus/smtp-session/ as seeds.
@Suite(.offThePool) struct FuzzRegressionTests {
    /// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets, CRLF included.
    ///
    /// The lengths of the encoded lines that are longer.
    static func overlongLines(_ actions: [SMTPSession.Action]) -> [Int] {
        SessionHarness.replies(actions).flatMap { reply in
            String(buffer: reply.encoded).components(separatedBy: "\r\n").dropLast().map { $0.utf8.count + 2 }
        }.filter { $0 > 512 }
    }

    /// The reproducer's EHLO argument, 497 octets: "c", runs of "y" joined by "HL(O", a stray tail.
    static let reproducerName =
        "c" + [107, 47, 70, 107, 79, 47].map { String(repeating: "y", count: $0) }.joined(separator: "HL(O")
        + "HL(Oyle.oample.org>"

    /// regress-ehlo-long-name: the EHLO greeting echoed a ~500-octet client name whole, making a reply line
    /// longer than 512 octets.
    ///
    /// The name is now cut at the longest domain RFC 5321 4.5.3.1.2 allows.
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

    /// crash-55cdcced (hour-long run, 26 Nov 2026): an unknown MAIL FROM parameter of ~460 octets was
    /// echoed whole in `555 5.5.4 Parameter … not recognized`, a 513-octet line.
    ///
    /// Every reply line is now cut to fit (SMTPReply.clamped), whatever it echoes.
    @Test func anOverlongUnknownParameterIsEchoedWithinTheLineLimit() throws {
        var harness = SessionHarness()
        harness.codes("EHLO client.example\r\n")
        let keyword = "X" + String(repeating: "Y", count: 470)
        let actions = harness.send("MAIL FROM:<alice@example.test> \(keyword)=1\r\n")
        #expect(SessionHarness.codes(actions) == [555])
        #expect(Self.overlongLines(actions).isEmpty)
        let line = try #require(SessionHarness.replies(actions).first?.lines.first)
        #expect(line.hasPrefix("Parameter XYYY") && line.hasSuffix("..."))
    }
}

import Foundation
import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPServer

/// Scripted faults (`correo serve --dev`): each line parses and prints back, each effect reaches the
/// session at the scripted moment, counts span connections, and a retry then succeeds.
@Suite(.offThePool) struct FaultTests {
    @Test(arguments: [
        "RCPT to=x@example.test times=2 452 4.2.2 Mailbox busy, try again later",
        "DATA close-after=1000",
        "* delay=250",
        "MAIL rate=10/min",
        "MAIL from=*@spam.test 550 5.7.1 Go away",
        "EHLO 421",
    ])
    func linesRoundTrip(_ line: String) throws {
        let fault = try SMTPFault(parsing: line)
        #expect(try SMTPFault(parsing: fault.description) == fault)
    }

    @Test func partsAreRead() throws {
        let fault = try SMTPFault(parsing: "rcpt to=x@* times=2 452 4.2.2 Mailbox busy")
        #expect(fault.command == "RCPT")
        #expect(fault.to == "x@*")
        #expect(fault.times == 2)
        #expect(fault.effect == .reply(SMTPReply(code: 452, EnhancedStatusCode(4, 2, 2), "Mailbox busy")))
        #expect(try SMTPFault(parsing: "DATA delay=40ms").effect == .delay(milliseconds: 40))
    }

    @Test(arguments: [
        ("", "empty"), ("FETCH 452", "not an SMTP command"), ("RCPT", "no effect"), ("RCPT 45", "three digits"),
        ("RCPT 452 5.2.2 x", "does not match"), ("RCPT times=0 452", "above 0"), ("RCPT colour=red 452", "not known"),
        ("RCPT close-after=10", "DATA or BDAT"), ("DATA rate=3/min", "applies to MAIL"), ("MAIL rate=3/h", "N/min"),
        ("* delay=250 452", "nothing may follow"), ("DATA delay=-1", "milliseconds"),
    ])
    func badLinesSayWhy(_ line: String, _ reason: String) {
        #expect {
            try SMTPFault(parsing: line)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func globsMatchAnyRunCaseInsensitively() {
        #expect(Glob.matches("x@*", "X@Example.test"))
        #expect(Glob.matches("*@slow.test", "a@slow.test"))
        #expect(!Glob.matches("*@slow.test", "a@slow.test.example"))
        #expect(Glob.matches("*", ""))
        #expect(Glob.matches("a*b*c", "aXXbYYc"))
        #expect(!Glob.matches("a*b*c", "aXXbYY"))
        #expect(Glob.matches(String(repeating: "*a", count: 30), String(repeating: "a", count: 30)))
    }

    static func harness(_ lines: [String]) throws -> SessionHarness {
        var configuration = SessionHarness.configuration()
        configuration.faults = SMTPFaultScript(try lines.map { try SMTPFault(parsing: $0) })
        return SessionHarness(configuration)
    }

    @Test func aRecipientIsRefusedTheFirstNTimesThenAccepted() throws {
        var harness = try Self.harness(["RCPT to=bob@* times=2 452 4.2.2 Mailbox busy"])
        #expect(harness.codes("EHLO client.example\r\nMAIL FROM:<alice@example.test>\r\n") == [250, 250])
        #expect(harness.codes("RCPT TO:<Bob@example.test>\r\n") == [452])
        #expect(harness.codes("RCPT TO:<other@example.test>\r\n") == [250])
        #expect(harness.codes("RCPT TO:<bob@example.test>\r\n") == [452])
        #expect(harness.codes("RCPT TO:<bob@example.test>\r\n") == [250])
    }

    @Test func countsSpanConnections() throws {
        let script = SMTPFaultScript([try SMTPFault(parsing: "RCPT times=1 451 4.3.0 Try again")])
        var configuration = SessionHarness.configuration()
        configuration.faults = script
        var first = SessionHarness(configuration)
        #expect(
            first.codes("EHLO a\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n") == [
                250, 250, 451,
            ]
        )
        var second = SessionHarness(configuration)
        #expect(
            second.codes("EHLO a\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n") == [
                250, 250, 250,
            ]
        )
    }

    @Test func a421ClosesTheConnection() throws {
        var harness = try Self.harness(["MAIL 421 4.3.2 Going down"])
        let actions = harness.send("EHLO a\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n")
        #expect(SessionHarness.codes(actions) == [250, 421])
        #expect(actions.last == .close)
        #expect(harness.session.isClosed)
    }

    @Test func aDelayPausesThenHandlesTheCommand() throws {
        var harness = try Self.harness(["MAIL delay=300"])
        #expect(harness.codes("EHLO a\r\n") == [250])
        let paused = harness.send("MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n")
        #expect(paused == [.pause(.milliseconds(300))])
        // The pipelined RCPT waits behind the delayed MAIL, in order.
        let after = harness.resolving(harness.event(.pauseElapsed))
        #expect(SessionHarness.codes(after) == [250, 250])
    }

    @Test func dataIsCutOffAfterTheScriptedOctets() throws {
        var harness = try Self.harness(["DATA close-after=100"])
        harness.startTransaction()
        #expect(harness.codes("DATA\r\n") == [354])
        let actions = harness.send(String(repeating: "0123456789012345678\r\n", count: 10))
        #expect(SessionHarness.replies(actions).map(\.code) == [421])
        #expect(actions.contains(.abortMessage))
        #expect(actions.last == .close)
    }

    @Test func aSenderOverItsRateGets421AndTheBucketRefills() throws {
        let script = SMTPFaultScript([try SMTPFault(parsing: "MAIL rate=2/min")])
        let mail = SMTPFaultScript.Command(verb: "MAIL", sender: "alice@example.test", recipients: [])
        let other = SMTPFaultScript.Command(verb: "MAIL", sender: "carol@example.test", recipients: [])
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(script.decide(mail, at: start) == nil)
        #expect(script.decide(mail, at: start) == nil)
        guard case .reply(let reply) = script.decide(mail, at: start) else {
            Issue.record("not limited")
            return
        }
        #expect(reply.code == 421)
        #expect(reply.enhancedCode == EnhancedStatusCode(4, 7, 0))
        // Another sender has its own bucket; half a minute refills one token.
        #expect(script.decide(other, at: start) == nil)
        #expect(script.decide(mail, at: start.addingTimeInterval(30)) == nil)
        #expect(script.decide(mail, at: start.addingTimeInterval(30)) != nil)
    }

    @Test func replacingTheScriptStartsCountsAfresh() throws {
        let script = SMTPFaultScript([try SMTPFault(parsing: "RCPT times=1 452")])
        let rcpt = SMTPFaultScript.Command(verb: "RCPT", sender: "a@b.test", recipients: ["x@y.test"])
        #expect(script.decide(rcpt, at: Date()) != nil)
        #expect(script.decide(rcpt, at: Date()) == nil)
        script.replace(with: [try SMTPFault(parsing: "RCPT times=1 452")])
        #expect(script.decide(rcpt, at: Date()) != nil)
        script.replace(with: [])
        #expect(script.faults.isEmpty)
        #expect(script.decide(rcpt, at: Date()) == nil)
    }
}

/// The faults over a real socket, as a sender under test meets them: swaks sees the scripted reply,
/// then a retry succeeds.
@Suite(.offThePool, .timeLimit(.minutes(5))) struct FaultInteropTests {
    static func swaks(_ server: LiveServer, _ extra: [String] = []) async throws -> ProcessResult {
        try await ExternalTool.swaks(
            ["--server", "127.0.0.1:\(server.mx)", "--from", "alice@example.test", "--to", "bob@example.test"] + extra
        )
    }

    @Test func swaksMeetsTheScriptedRefusalThenDelivers() async throws {
        let script = SMTPFaultScript([try SMTPFault(parsing: "RCPT to=bob@* times=1 452 4.2.2 Mailbox busy")])
        let server = try await LiveServer.start { $0.faults = script }
        defer { Task { await server.stop() } }
        let refused = try await Self.swaks(server)
        #expect(refused.status != 0)
        #expect(refused.output.contains("<** 452 4.2.2 Mailbox busy"), "\(refused.output)")
        #expect(server.messages(for: "bob@example.test").isEmpty)
        let retried = try await Self.swaks(server)
        #expect(retried.status == 0, "\(retried.output)")
        #expect(server.messages(for: "bob@example.test").count == 1)
    }

    @Test func swaksIsCutOffMidDataThenDelivers() async throws {
        let script = SMTPFaultScript([try SMTPFault(parsing: "DATA times=1 close-after=2000")])
        let server = try await LiveServer.start { $0.faults = script }
        defer { Task { await server.stop() } }
        let body = String(repeating: "A line of the message body that is long enough.\n", count: 100)
        let cut = try await Self.swaks(server, ["--body", body])
        #expect(cut.status != 0)
        #expect(cut.output.contains("421 4.4.2 Connection cut after 2000 octets"), "\(cut.output)")
        #expect(server.messages(for: "bob@example.test").isEmpty)
        let retried = try await Self.swaks(server, ["--body", body])
        #expect(retried.status == 0, "\(retried.output)")
        #expect(server.messages(for: "bob@example.test").count == 1)
    }

    @Test func aDelayedReplyArrivesAfterTheDelay() async throws {
        let script = SMTPFaultScript([try SMTPFault(parsing: "MAIL delay=700")])
        let server = try await LiveServer.start { $0.faults = script }
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        let result = try await Self.swaks(server)
        #expect(result.status == 0, "\(result.output)")
        // A lower bound only: what is asserted is that the reply waited, not how fast the machine is.
        #expect(ContinuousClock.now - started >= .milliseconds(700))
    }
}

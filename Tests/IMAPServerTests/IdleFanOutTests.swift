import Foundation
import Testing

@testable import IMAPServer

/// Several sessions idling on one mailbox are brought up to date by one fan-out (`IdleFanOut`): each gets
/// the same untagged responses it got when it listened on its own, one of them claims the new message as
/// `\Recent`, CONDSTORE's session gets MODSEQ, and after DONE the session's view is where IDLE left it.
@Suite(.offThePool) struct IdleFanOutTests {
    static let user = "bob@example.org"
    static let password = "idle pass"

    /// Three clients IDLE on INBOX (the third with CONDSTORE), a message is delivered, a fourth session
    /// flags message 1, then each ends IDLE and sends NOOP.
    static let client = #"""
        import json, socket, sys
        port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        def connect():
            s = socket.create_connection(("127.0.0.1", port), timeout=90)
            f = s.makefile("rb")
            f.readline()
            return s, f
        def until(f, done):
            lines = []
            while True:
                line = f.readline().decode()
                if not line:
                    raise SystemExit("connection closed: %r" % lines)
                lines.append(line)
                if done(line):
                    return lines
        def command(s, f, tag, text):
            s.sendall(("%s %s\r\n" % (tag, text)).encode())
            return until(f, lambda line: line.startswith(tag + " "))
        clients = []
        for i in range(3):
            s, f = connect()
            command(s, f, "a", 'LOGIN "%s" "%s"' % (user, password))
            if i == 2:
                command(s, f, "e", "ENABLE CONDSTORE")
            command(s, f, "b", "SELECT INBOX")
            s.sendall(b"c IDLE\r\n")
            assert f.readline().startswith(b"+")
            clients.append((s, f))
        print("IDLING", flush=True)
        sys.stdin.readline()
        out = [until(f, lambda line: "RECENT" in line) for s, f in clients]
        s4, f4 = connect()
        command(s4, f4, "a", 'LOGIN "%s" "%s"' % (user, password))
        command(s4, f4, "b", "SELECT INBOX")
        command(s4, f4, "s", "STORE 1 +FLAGS.SILENT (\\Flagged)")
        for i, (s, f) in enumerate(clients):
            out[i] += until(f, lambda line: "FETCH" in line)
        for i, (s, f) in enumerate(clients):
            s.sendall(b"DONE\r\n")
            out[i] += until(f, lambda line: line.startswith("c "))
            out[i] += command(s, f, "n", "NOOP")
        print(json.dumps(out), flush=True)
        """#

    @Test(.timeLimit(.minutes(5)))
    func oneDeliveryReachesEverySessionOnce() async throws {
        let imap = try await ScriptedIMAPServer.start(
            user: Self.user,
            password: Self.password,
            label: "imap-idle-fan-out"
        )
        defer { Task { await imap.stop() } }
        let first = Array("From: alice@example.org\r\nSubject: first\r\n\r\nHello.\r\n".utf8)
        _ = try await imap.store.deliver(bytes: first, to: [Self.user])

        let client = try ScriptedIMAPClient(
            script: Self.client,
            arguments: [String(imap.port), Self.user, Self.password]
        )
        try #require(try await client.waitFor("IDLING\n"), "\(client.output)")
        let second = Array("From: alice@example.org\r\nSubject: second\r\n\r\nHello again.\r\n".utf8)
        _ = try await imap.store.deliver(bytes: second, to: [Self.user])
        let status = try await client.goOn()
        let output = client.output
        let json = try #require(output.split(separator: "\n").last.map { Data($0.utf8) })
        let sessions = try #require(try JSONSerialization.jsonObject(with: json) as? [[String]])
        try #require(sessions.count == 3)

        var recent = 0
        for (index, lines) in sessions.enumerated() {
            #expect(lines.filter { $0 == "* 2 EXISTS\r\n" }.count == 1, "\(index): \(lines)")
            let recentLines = lines.filter { $0.hasSuffix(" RECENT\r\n") }
            #expect(recentLines.count == 1, "\(index): \(lines)")
            recent += recentLines.first.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
            let fetch = lines.filter { $0.hasPrefix("* 1 FETCH (UID 1 FLAGS (") }
            #expect(fetch.count == 1 && fetch[0].contains("\\Flagged"), "\(index): \(lines)")
            #expect(fetch.first?.contains("MODSEQ") == (index == 2), "\(index): \(lines)")
            #expect(lines.contains("c OK IDLE terminated\r\n"), "\(index): \(lines)")
            // IDLE handed the view back up to date: NOOP has nothing more to say.
            #expect(lines.suffix(1) == ["n OK NOOP completed\r\n"], "\(index): \(lines)")
            #expect(!lines.drop { $0 != "c OK IDLE terminated\r\n" }.dropFirst().contains { $0.hasPrefix("* ") })
        }
        // The first message was claimed as \Recent at a SELECT, the second by exactly one idling session.
        #expect(recent == 2)
        #expect(status == 0, "\(output)")
    }
}

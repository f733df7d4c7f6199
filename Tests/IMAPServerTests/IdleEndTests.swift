import Testing

@testable import IMAPServer

/// An IDLE holds nothing once it ends, whichever way it ends.
///
/// DONE, or a client that hangs up while idling: the fan-out then has no session left, and stops
/// watching the mailbox.
@Suite(.offThePool) struct IdleEndTests {
    static let user = "carol@example.org"
    static let password = "idle end pass"

    /// Three sessions IDLE on INBOX; after the go, the first sends DONE and LOGOUT, the second hangs up,
    /// the third hangs up after IDLE in the authenticated state (no mailbox selected).
    static let client = #"""
        import socket, sys
        port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        def session(select):
            s = socket.create_connection(("127.0.0.1", port), timeout=60)
            f = s.makefile("rb")
            f.readline()
            def command(tag, text):
                s.sendall(("%s %s\r\n" % (tag, text)).encode())
                while True:
                    line = f.readline()
                    if not line or line.startswith(tag.encode() + b" "):
                        return line
            assert command("a", 'LOGIN "%s" "%s"' % (user, password)).startswith(b"a OK")
            if select:
                assert command("b", "SELECT INBOX").startswith(b"b OK")
            s.sendall(b"c IDLE\r\n")
            assert f.readline().startswith(b"+")
            return s, f
        first, second, third = session(True), session(True), session(False)
        print("IDLING", flush=True)
        sys.stdin.readline()
        first[0].sendall(b"DONE\r\n")
        assert first[1].readline() == b"c OK IDLE terminated\r\n"
        first[0].sendall(b"d LOGOUT\r\n")
        second[0].close()
        third[0].close()
        while first[1].readline():
            pass
        print("DONE", flush=True)
        """#

    @Test(.timeLimit(.minutes(5)))
    func doneAndHangUpsLeaveNoSubscriber() async throws {
        let imap = try await ScriptedIMAPServer.start(user: Self.user, password: Self.password, label: "imap-idle-end")
        defer { Task { await imap.stop() } }
        let fanOut = imap.server.idleFanOut

        let client = try ScriptedIMAPClient(
            script: Self.client,
            arguments: [String(imap.port), Self.user, Self.password]
        )
        try #require(try await client.waitFor("IDLING\n"), "\(client.output)")
        // The two sessions with a mailbox are subscribed once their IDLE has begun (the "+" came first).
        #expect(try await Self.within(seconds: 30) { fanOut.counts == (2, 1) }, "\(fanOut.counts)")
        let status = try await client.goOn()
        #expect(status == 0, "\(client.output)")
        #expect(client.output.contains("DONE\n"), "\(client.output)")
        let ended = try await Self.within(seconds: 30) { fanOut.counts == (0, 0) }
        #expect(ended, "still idling: \(fanOut.counts)")
    }

    /// Whether `condition` holds within `seconds`, looked at every 20 ms.
    private static func within(seconds: Double, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}

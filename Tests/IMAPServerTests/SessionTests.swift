import MailTestSupport
import Testing

@testable import IMAPServer

private func line(_ text: String) -> IMAPFramer.Event { .command(bytes(text)) }

private func sent(_ actions: [IMAPSession.Action]) -> [IMAPResponse] {
    actions.flatMap { action -> [IMAPResponse] in
        if case .send(let responses) = action { return responses }
        return []
    }
}

private func loggedIn(_ configuration: IMAPSessionConfiguration = .init(allowPlaintextAuth: true)) -> IMAPSession {
    var session = IMAPSession(configuration: configuration)
    _ = session.received(line("a LOGIN bob pw"))
    _ = session.credentialsVerified(true)
    return session
}

private func selected() -> IMAPSession {
    var session = loggedIn()
    _ = session.received(line("s SELECT INBOX"))
    _ = session.completed(
        CommandOutcome(
            responses: [.ok("s", .readWrite, "SELECT completed")],
            selection: .selected(IMAPMailboxName("INBOX"), readOnly: false)
        )
    )
    return session
}

@Suite(.offThePool) struct SessionTests {
    @Test func greetingAdvertisesStartTLSAndLoginDisabled() {
        let session = IMAPSession(configuration: .init(startTLSAvailable: true))
        #expect(session.capabilities.contains("STARTTLS"))
        #expect(session.capabilities.contains("LOGINDISABLED"))
        #expect(!session.capabilities.contains("AUTH=PLAIN"))
        #expect(session.capabilities.contains("APPENDLIMIT=\(IMAPDefaults.appendLimit)"))
        if case .untagged(.condition(.ok, .capability(let caps), _)) = session.greeting {
            #expect(caps == session.capabilities)
        } else {
            Issue.record("greeting is not an OK with CAPABILITY")
        }
    }

    @Test func loginRefusedBeforeTLS() {
        var session = IMAPSession(configuration: .init(startTLSAvailable: true))
        #expect(
            session.received(line("a LOGIN bob pw")) == [
                .send([.no("a", .privacyRequired, "LOGIN is disabled until STARTTLS")])
            ]
        )
        #expect(
            session.received(line("b AUTHENTICATE PLAIN AGJvYgBwdw=="))
                == [.send([.no("b", .privacyRequired, "Authentication is disabled until STARTTLS")])]
        )
    }

    @Test func startTLSDropsPipelinedCommandsThenAllowsLogin() {
        var session = IMAPSession(configuration: .init(startTLSAvailable: true))
        #expect(session.received(line("a STARTTLS")) == [.send([.ok("a", "Begin TLS negotiation now")]), .startTLS])
        #expect(session.received(line("b LOGIN bob pw")) == [])
        #expect(session.tlsEstablished() == [])
        #expect(!session.capabilities.contains("STARTTLS"))
        #expect(session.capabilities.contains("AUTH=PLAIN"))
        #expect(session.received(line("c LOGIN bob pw")) == [.verifyCredentials(username: "bob", password: "pw")])
    }

    @Test func startTLSRefusedWhenUnavailableOrActive() {
        var plain = IMAPSession(configuration: .init())
        #expect(plain.received(line("a STARTTLS")) == [.send([.bad("a", "STARTTLS is not available")])])
        var tls = IMAPSession(configuration: .init(isTLS: true, startTLSAvailable: true))
        #expect(tls.received(line("a STARTTLS")) == [.send([.bad("a", "TLS is already active")])])
    }

    @Test func successfulLoginMovesToAuthenticated() {
        var session = IMAPSession(configuration: .init(isTLS: true))
        #expect(session.received(line("a LOGIN bob pw")) == [.verifyCredentials(username: "bob", password: "pw")])
        let actions = session.credentialsVerified(true)
        #expect(session.state == .authenticated(user: "bob"))
        #expect(actions == [.send([.ok("a", .capability(session.capabilities), "Logged in")])])
    }

    @Test func failedLoginsAreSlowedThenCutOff() {
        var session = IMAPSession(
            configuration: .init(isTLS: true, maxFailedLogins: 2, failedLoginDelayMilliseconds: 100)
        )
        _ = session.received(line("a LOGIN bob bad"))
        #expect(
            session.credentialsVerified(false)
                == [.pause(milliseconds: 100), .send([.no("a", .authenticationFailed, "Authentication failed")])]
        )
        _ = session.received(line("b LOGIN bob bad"))
        #expect(
            session.credentialsVerified(false) == [
                .pause(milliseconds: 200),
                .send([
                    .no("b", .authenticationFailed, "Authentication failed"),
                    .untagged(.condition(.bye, nil, "Too many failed logins")),
                ]),
                .close,
            ]
        )
        #expect(session.state == .logout)
    }

    /// RFC 5530: a users' store that cannot be asked is `[UNAVAILABLE]`, not a wrong password: it counts
    /// toward no cut-off, and the session stays ready for the next LOGIN.
    @Test func anUnavailableUserStoreIsNoFailedLogin() {
        var session = IMAPSession(configuration: .init(isTLS: true, maxFailedLogins: 1))
        for tag in ["a", "b"] {
            #expect(
                session.received(line("\(tag) LOGIN bob pw")) == [.verifyCredentials(username: "bob", password: "pw")]
            )
            #expect(
                session.credentialsUnavailable() == [
                    .send([.no(tag, .unavailable, "The user database is unavailable; try again later")])
                ]
            )
            #expect(session.state == .notAuthenticated)
        }
        // Nothing pending: an answer that comes late changes nothing.
        #expect(session.credentialsUnavailable() == [])
        _ = session.received(line("c LOGIN bob pw"))
        #expect(session.credentialsVerified(true).count == 1)
        #expect(session.state == .authenticated(user: "bob"))
    }

    @Test func authenticatePlainWithContinuationAndSASLIR() {
        var session = IMAPSession(configuration: .init(isTLS: true))
        #expect(session.received(line("a AUTHENTICATE PLAIN")) == [.send([.continuation("")])])
        #expect(session.received(line("AGJvYgBwdw==")) == [.verifyCredentials(username: "bob", password: "pw")])
        var ir = IMAPSession(configuration: .init(isTLS: true))
        #expect(
            ir.received(line("a AUTHENTICATE PLAIN Ym9iAGJvYgBwdw==")) == [
                .verifyCredentials(username: "bob", password: "pw")
            ]
        )
        var cancel = IMAPSession(configuration: .init(isTLS: true))
        _ = cancel.received(line("a AUTHENTICATE PLAIN"))
        #expect(cancel.received(line("*")) == [.send([.bad("a", "Authentication canceled")])])
        var other = IMAPSession(configuration: .init(isTLS: true))
        #expect(
            other.received(line("a AUTHENTICATE PLAIN YWxpY2UAYm9iAHB3"))
                == [.send([.no("a", .authenticationFailed, "Acting as another user is not allowed")])]
        )
        #expect(
            other.received(line("b AUTHENTICATE CRAM-MD5")) == [
                .send([.no("b", .cannot, "Unsupported authentication mechanism")])
            ]
        )
    }

    @Test func commandsInTheWrongStateAreBad() {
        var session = IMAPSession(configuration: .init(allowPlaintextAuth: true))
        #expect(
            session.received(line("a SELECT INBOX")) == [
                .send([.bad("a", .clientBug, "SELECT not allowed before login")])
            ]
        )
        #expect(
            session.received(line("a FETCH 1 FLAGS")) == [
                .send([.bad("a", .clientBug, "FETCH not allowed before login")])
            ]
        )
        var auth = loggedIn()
        #expect(auth.received(line("b FETCH 1 FLAGS")) == [.send([.bad("b", "No mailbox selected")])])
        #expect(auth.received(line("b EXPUNGE")) == [.send([.bad("b", "No mailbox selected")])])
        #expect(auth.received(line("b CLOSE")) == [.send([.bad("b", "No mailbox selected")])])
        #expect(auth.received(line("b LOGIN x y")) == [.send([.bad("b", .clientBug, "Already authenticated")])])
    }

    @Test func anyStateCommands() {
        var session = IMAPSession(configuration: .init())
        #expect(session.received(line("a NOOP")) == [.send([.ok("a", "NOOP completed")])])
        #expect(
            session.received(line("b CAPABILITY")) == [
                .send([.untagged(.capability(session.capabilities)), .ok("b", "CAPABILITY completed")])
            ]
        )
        #expect(
            session.received(line("c ID NIL")) == [
                .send([.untagged(.id([IDParameter(key: "name", value: "correo")])), .ok("c", "ID completed")])
            ]
        )
        #expect(
            session.received(line("d LOGOUT")) == [
                .send([.untagged(.condition(.bye, nil, "Logging out")), .ok("d", "LOGOUT completed")]), .close,
            ]
        )
        #expect(session.state == .logout)
        #expect(session.received(line("e NOOP")) == [])
    }

    @Test func selectRunsInTheExecutorAndChangesState() {
        var session = loggedIn()
        #expect(
            session.received(line("s SELECT INBOX"))
                == [
                    .execute(
                        ExecutionRequest(
                            tag: "s",
                            command: .select(IMAPMailboxName("INBOX"), condStore: false),
                            user: "bob",
                            condStore: false
                        )
                    )
                ]
        )
        _ = session.completed(
            CommandOutcome(
                responses: [.ok("s", "done")],
                selection: .selected(IMAPMailboxName("INBOX"), readOnly: true)
            )
        )
        #expect(session.state == .selected(user: "bob", mailbox: IMAPMailboxName("INBOX"), readOnly: true))
        _ = session.received(line("c CLOSE"))
        _ = session.completed(CommandOutcome(responses: [.ok("c", "done")], selection: .deselected))
        #expect(session.state == .authenticated(user: "bob"))
    }

    @Test func pipelinedCommandsWaitForTheRunningOne() {
        var session = selected()
        #expect(session.received(line("a FETCH 1 FLAGS")).count == 1)
        #expect(session.received(line("b NOOP")) == [])
        #expect(session.received(line("c CAPABILITY")) == [])
        let actions = session.completed(CommandOutcome(responses: [.ok("a", "FETCH completed")]))
        #expect(
            actions == [
                .send([.ok("a", "FETCH completed")]),
                .execute(ExecutionRequest(tag: "b", command: .noop, user: "bob", condStore: false)),
            ]
        )
        #expect(
            session.completed(CommandOutcome(responses: [.ok("b", "NOOP completed")]))
                == [
                    .send([.ok("b", "NOOP completed")]),
                    .send([.untagged(.capability(session.capabilities)), .ok("c", "CAPABILITY completed")]),
                ]
        )
    }

    @Test func idleUntilDone() {
        var session = selected()
        #expect(session.received(line("i IDLE")) == [.send([.continuation("idling")]), .startIdle])
        #expect(
            session.received(line("done")) == [
                .stopIdle, .execute(ExecutionRequest(tag: "i", command: .idle, user: "bob", condStore: false)),
            ]
        )
        var other = selected()
        _ = other.received(line("i IDLE"))
        #expect(other.received(line("x NOOP")) == [.stopIdle, .send([.bad("i", "Expected DONE")])])
    }

    @Test func enableCondStore() {
        var session = loggedIn()
        #expect(
            session.received(line("e ENABLE CONDSTORE X-UNKNOWN")) == [
                .send([.untagged(.enabled(["CONDSTORE"])), .ok("e", "ENABLE completed")])
            ]
        )
        #expect(session.condStoreEnabled)
        #expect(
            session.received(line("f ENABLE CONDSTORE")) == [
                .send([.untagged(.enabled([])), .ok("f", "ENABLE completed")])
            ]
        )
    }

    @Test func framingErrorsAnswered() {
        var session = loggedIn()
        #expect(
            session.received(.error(tag: "a", .messageTooLarge))
                == [.send([.no("a", .tooBig, "Message larger than APPENDLIMIT \(IMAPDefaults.appendLimit)")])]
        )
        #expect(session.received(.error(tag: nil, .lineTooLong)) == [.send([.bad("*", "Command line too long")])])
        #expect(session.received(.continuationRequest) == [.send([.continuation("Ready for literal")])])
        #expect(session.received(line("a BOGUS")) == [.send([.bad("a", "Unknown command BOGUS")])])
    }

    @Test func tooManyBadCommandsDisconnect() {
        var session = IMAPSession(configuration: .init())
        for _ in 1..<IMAPDefaults.maxConsecutiveBadCommands { _ = session.received(line("a BOGUS")) }
        let last = session.received(line("a BOGUS"))
        #expect(last.last == .close)
        #expect(session.state == .logout)
    }
}

import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPClient

/// A reply as a server writes it, parsed by SMTPCore ("550 5.1.1 text": code, enhanced code, text).
func r(_ line: String) -> SMTPReply {
    var parser = SMTPReplyParser()
    return (try? parser.parse(line: Array(line.utf8))) ?? SMTPReply(code: 0, lines: [line])
}

/// The client state machine without sockets: replies in, actions out.
@Suite(.offThePool) struct StateMachineTests {
    typealias Machine = SMTPClientStateMachine

    static func machine(
        tls: SMTPClient.TLSMode = .none,
        credentials: SMTPCredentials? = nil,
        allowPlainAuth: Bool = false
    ) -> Machine {
        Machine(
            configuration: .init(
                localHostname: "client.test",
                tls: tls,
                credentials: credentials,
                allowsAuthenticationWithoutTLS: allowPlainAuth
            )
        )
    }

    static func mail(size: Int? = nil, body: SMTPBodyType? = nil, utf8: Bool = false) -> SMTPCommand {
        var parameters = SMTPMailParameters()
        parameters.size = size
        parameters.body = body
        parameters.smtpUTF8 = utf8
        return .mailFrom(.mailbox(SMTPMailbox(localPart: "me", domain: "x.test")), parameters)
    }

    static func rcpt(_ address: String) -> SMTPCommand {
        let at = address.lastIndex(of: "@") ?? address.endIndex
        let mailbox = SMTPMailbox(
            localPart: String(address[..<at]),
            domain: String(address[address.index(after: at)...])
        )
        return .rcptTo(.mailbox(mailbox), SMTPRecipientParameters())
    }

    static func ehlo(_ extensions: String...) -> SMTPReply {
        SMTPReply(code: 250, lines: ["server.test"] + extensions)
    }

    static func envelope(
        _ recipients: [String] = ["ann@x.test"],
        body: String = "Subject: x\r\n\r\nhi\r\n"
    ) -> Machine.Envelope {
        SMTPConnection.envelope(from: "me@x.test", recipients: recipients, message: Array(body.utf8))
    }

    /// A machine past the greeting and EHLO with these extensions.
    static func ready(_ extensions: String...) -> Machine {
        var machine = machine()
        _ = machine.receivedReply(r("220 hi"))
        _ = machine.receivedReply(SMTPReply(code: 250, lines: ["server.test"] + extensions))
        return machine
    }

    @Test func greetingThenEHLO() {
        var machine = Self.machine()
        #expect(machine.receivedReply(r("220 server.test ESMTP")) == .write([.ehlo("client.test")]))
        #expect(
            machine.receivedReply(Self.ehlo("PIPELINING"))
                == .sessionReady(SMTPExtensions(ehloReply: Self.ehlo("PIPELINING")))
        )
    }

    @Test func greeting554FailsWithTheServersText() {
        var machine = Self.machine()
        let reply = r("554 5.3.2 no service here")
        #expect(machine.receivedReply(reply) == .fail(.greetingRejected(reply)))
    }

    @Test func ehloRefusedFallsBackToHELO() {
        var machine = Self.machine()
        _ = machine.receivedReply(r("220 old server"))
        #expect(machine.receivedReply(r("502 5.5.1 EHLO not implemented")) == .write([.helo("client.test")]))
        #expect(machine.receivedReply(r("250 old.test")) == .sessionReady(.none))
    }

    @Test func heloRefusedToo() {
        var machine = Self.machine()
        _ = machine.receivedReply(r("220 x"))
        _ = machine.receivedReply(r("500 what"))
        #expect(machine.receivedReply(r("501 go away")) == .fail(.heloRejected(r("501 go away"))))
    }

    @Test func startTLSRequiredButNotOffered() {
        var machine = Self.machine(tls: .startTLS(.required))
        _ = machine.receivedReply(r("220 x"))
        #expect(machine.receivedReply(Self.ehlo("8BITMIME")) == .fail(.startTLSNotOffered))
    }

    @Test func startTLSRequiredAfterHELOFallback() {
        var machine = Self.machine(tls: .startTLS(.required))
        _ = machine.receivedReply(r("220 x"))
        _ = machine.receivedReply(r("500 no"))
        #expect(machine.receivedReply(r("250 ok")) == .fail(.startTLSNotOffered))
    }

    @Test func startTLSOpportunisticGoesOnWithoutIt() {
        var machine = Self.machine(tls: .startTLS(.opportunistic))
        _ = machine.receivedReply(r("220 x"))
        #expect(
            machine.receivedReply(Self.ehlo("8BITMIME"))
                == .sessionReady(SMTPExtensions(ehloReply: Self.ehlo("8BITMIME")))
        )
        #expect(!machine.isTLSActive)
    }

    @Test func startTLSThenEHLOAgainForgettingCapabilities() {
        var machine = Self.machine(tls: .startTLS(.required))
        _ = machine.receivedReply(r("220 x"))
        #expect(machine.receivedReply(Self.ehlo("STARTTLS", "AUTH PLAIN")) == .write([.startTLS]))
        #expect(machine.receivedReply(r("220 2.0.0 go ahead")) == .startTLS)
        #expect(machine.capabilities.startTLS)
        #expect(machine.tlsEstablished() == .write([.ehlo("client.test")]))
        #expect(machine.capabilities == .none)
        #expect(
            machine.receivedReply(Self.ehlo("SIZE 100"))
                == .sessionReady(SMTPExtensions(ehloReply: Self.ehlo("SIZE 100")))
        )
        #expect(machine.isTLSActive)
    }

    @Test func startTLSRefusedWhenRequired() {
        var machine = Self.machine(tls: .startTLS(.required))
        _ = machine.receivedReply(r("220 x"))
        _ = machine.receivedReply(Self.ehlo("STARTTLS"))
        #expect(
            machine.receivedReply(r("454 4.7.0 TLS not available"))
                == .fail(.startTLSRejected(r("454 4.7.0 TLS not available")))
        )
    }

    @Test func authPlainSendsTheInitialResponse() {
        var machine = Self.machine(tls: .implicit, credentials: SMTPCredentials(username: "ann", password: "secret"))
        _ = machine.receivedReply(r("220 x"))
        // base64("\0ann\0secret")
        #expect(
            machine.receivedReply(Self.ehlo("AUTH LOGIN PLAIN"))
                == .write([.auth(mechanism: "PLAIN", initialResponse: "AGFubgBzZWNyZXQ=")])
        )
        #expect(
            machine.receivedReply(r("235 2.7.0 ok"))
                == .sessionReady(SMTPExtensions(ehloReply: Self.ehlo("AUTH LOGIN PLAIN")))
        )
    }

    @Test func authLoginAnswersBothChallenges() {
        var machine = Self.machine(tls: .implicit, credentials: SMTPCredentials(username: "ann", password: "secret"))
        _ = machine.receivedReply(r("220 x"))
        #expect(
            machine.receivedReply(Self.ehlo("AUTH=LOGIN")) == .write([.auth(mechanism: "LOGIN", initialResponse: nil)])
        )
        #expect(machine.receivedReply(r("334 VXNlcm5hbWU6")) == .writeSASLResponse("YW5u"))
        #expect(machine.receivedReply(r("334 UGFzc3dvcmQ6")) == .writeSASLResponse("c2VjcmV0"))
        #expect(machine.isAwaitingReply)
    }

    @Test func unexpectedChallengeIsCancelledWithAStar() {
        var machine = Self.machine(tls: .implicit, credentials: SMTPCredentials(username: "ann", password: "secret"))
        _ = machine.receivedReply(r("220 x"))
        _ = machine.receivedReply(Self.ehlo("AUTH PLAIN"))
        #expect(machine.receivedReply(r("334 more?")) == .writeSASLResponse("*"))
        #expect(
            machine.receivedReply(r("501 5.7.0 cancelled")) == .fail(.authenticationFailed(r("501 5.7.0 cancelled")))
        )
    }

    @Test func authFailureCarriesTheReply() {
        var machine = Self.machine(tls: .implicit, credentials: SMTPCredentials(username: "ann", password: "wrong"))
        _ = machine.receivedReply(r("220 x"))
        _ = machine.receivedReply(Self.ehlo("AUTH PLAIN"))
        let reply = r("535 5.7.8 Authentication credentials invalid")
        #expect(machine.receivedReply(reply) == .fail(.authenticationFailed(reply)))
    }

    @Test func authNotOfferedOrUnknownMechanisms() {
        var noAuth = Self.machine(tls: .implicit, credentials: SMTPCredentials(username: "a", password: "b"))
        _ = noAuth.receivedReply(r("220 x"))
        #expect(noAuth.receivedReply(Self.ehlo("8BITMIME")) == .fail(.authenticationNotOffered))
        var onlyGSSAPI = Self.machine(tls: .implicit, credentials: SMTPCredentials(username: "a", password: "b"))
        _ = onlyGSSAPI.receivedReply(r("220 x"))
        #expect(
            onlyGSSAPI.receivedReply(Self.ehlo("AUTH GSSAPI"))
                == .fail(.authenticationMechanismsUnsupported(offered: ["GSSAPI"]))
        )
    }

    @Test func noPasswordWithoutTLSUnlessAllowed() {
        var machine = Self.machine(
            tls: .startTLS(.opportunistic),
            credentials: SMTPCredentials(username: "a", password: "b")
        )
        _ = machine.receivedReply(r("220 x"))
        #expect(machine.receivedReply(Self.ehlo("AUTH PLAIN")) == .fail(.authenticationRequiresTLS))
        var allowed = Self.machine(credentials: SMTPCredentials(username: "a", password: "b"), allowPlainAuth: true)
        _ = allowed.receivedReply(r("220 x"))
        #expect(
            allowed.receivedReply(Self.ehlo("AUTH PLAIN"))
                == .write([.auth(mechanism: "PLAIN", initialResponse: "AGEAYg==")])
        )
    }

    @Test func oneMessageWithoutPipelining() {
        var machine = Self.ready("8BITMIME")
        let envelope = Self.envelope(["ann@x.test", "bo@x.test"])
        #expect(machine.send(envelope) == .write([Self.mail()]))
        #expect(machine.receivedReply(r("250 2.1.0 ok")) == .write([Self.rcpt("ann@x.test")]))
        #expect(machine.receivedReply(r("550 5.1.1 no such user")) == .write([Self.rcpt("bo@x.test")]))
        #expect(machine.receivedReply(r("250 2.1.5 ok")) == .write([.data]))
        #expect(machine.receivedReply(r("354 go ahead")) == .writeMessage(envelope.wireMessage))
        #expect(machine.isAwaitingFinalReply)
        let result = SendResult(
            mailReply: r("250 2.1.0 ok"),
            recipients: [
                RecipientResult(address: "ann@x.test", reply: r("550 5.1.1 no such user")),
                RecipientResult(address: "bo@x.test", reply: r("250 2.1.5 ok")),
            ],
            dataReply: r("250 2.0.0 queued as 42")
        )
        #expect(machine.receivedReply(r("250 2.0.0 queued as 42")) == .sendCompleted(result))
        #expect(machine.isReady)
    }

    @Test func pipelinedBatchesMailRcptData() {
        var machine = Self.ready("PIPELINING", "SIZE 1000")
        let envelope = Self.envelope(["a@x.test", "b@x.test"])
        #expect(
            machine.send(envelope)
                == .write([
                    Self.mail(size: envelope.size), Self.rcpt("a@x.test"), Self.rcpt("b@x.test"), .data,
                ])
        )
        #expect(machine.receivedReply(r("250 ok")) == .none)
        #expect(machine.receivedReply(r("250 ok")) == .none)
        #expect(machine.receivedReply(r("451 4.2.0 try later")) == .none)
        #expect(machine.receivedReply(r("354 go")) == .writeMessage(envelope.wireMessage))
        guard case .sendCompleted(let result) = machine.receivedReply(r("250 queued")) else {
            Issue.record("expected completion")
            return
        }
        #expect(result.rejected.map(\.address) == ["b@x.test"])
        #expect(result.rejected.first?.reply == r("451 4.2.0 try later"))
    }

    @Test func pipelinedAllRecipientsRefusedButDATAAccepted() {
        var machine = Self.ready("PIPELINING")
        _ = machine.send(Self.envelope(["a@x.test"]))
        _ = machine.receivedReply(r("250 ok"))
        _ = machine.receivedReply(r("550 5.1.1 unknown"))
        // RFC 2920 §3.1: the client ends the accepted DATA with an empty message.
        #expect(machine.receivedReply(r("354 go")) == .writeMessage(ByteBuffer(string: ".\r\n")))
        let rejected = [RecipientResult(address: "a@x.test", reply: r("550 5.1.1 unknown"))]
        #expect(machine.receivedReply(r("554 no valid recipients")) == .sendFailed(.allRecipientsRejected(rejected)))
        // The next message starts with RSET.
        #expect(
            machine.send(Self.envelope(["c@x.test"])) == .write([.rset, Self.mail(), Self.rcpt("c@x.test"), .data])
        )
    }

    @Test func mail4xxIsATransientSendFailureAndTheConnectionGoesOn() {
        var machine = Self.ready()
        _ = machine.send(Self.envelope())
        let reply = r("451 4.3.0 try again later")
        #expect(machine.receivedReply(reply) == .sendFailed(.senderRejected(reply)))
        #expect(SMTPClientError.senderRejected(reply).isTransient)
        #expect(machine.isReady)
    }

    @Test func rcpt5xxForTheOnlyRecipientThenRSETBeforeTheNext() {
        var machine = Self.ready()
        _ = machine.send(Self.envelope(["gone@x.test"]))
        _ = machine.receivedReply(r("250 ok"))
        let reply = r("550 5.1.1 <gone@x.test>: user unknown")
        let error = SMTPClientError.allRecipientsRejected([RecipientResult(address: "gone@x.test", reply: reply)])
        #expect(machine.receivedReply(reply) == .sendFailed(error))
        #expect(!error.isTransient)
        #expect(machine.send(Self.envelope(["ann@x.test"])) == .write([.rset]))
        #expect(machine.receivedReply(r("250 reset")) == .write([Self.mail()]))
    }

    @Test func dataCommandAndFinalReplyRefusals() {
        var atData = Self.ready()
        _ = atData.send(Self.envelope())
        _ = atData.receivedReply(r("250 ok"))
        _ = atData.receivedReply(r("250 ok"))
        #expect(atData.receivedReply(r("452 4.3.1 no space")) == .sendFailed(.dataRejected(r("452 4.3.1 no space"))))
        var atEnd = Self.ready()
        _ = atEnd.send(Self.envelope())
        _ = atEnd.receivedReply(r("250 ok"))
        _ = atEnd.receivedReply(r("250 ok"))
        _ = atEnd.receivedReply(r("354 go"))
        #expect(atEnd.receivedReply(r("554 5.6.0 spam")) == .sendFailed(.dataRejected(r("554 5.6.0 spam"))))
        #expect(atEnd.isReady)
    }

    @Test func sizeLimitRefusesLocallyAtNPlusOne() {
        let body = String(repeating: "a", count: 90) + "\r\n"  // 92 octets
        var atLimit = Self.ready("SIZE 92")
        #expect(atLimit.send(Self.envelope(body: body)) == .write([Self.mail(size: 92)]))
        var overLimit = Self.ready("SIZE 91")
        #expect(overLimit.send(Self.envelope(body: body)) == .sendFailed(.messageTooLarge(size: 92, limit: 91)))
    }

    @Test func eightBitAndSMTPUTF8NeedTheirExtensions() {
        let eightBit = "Subject: x\r\n\r\ncaf\u{E9}\r\n"
        var without = Self.ready()
        #expect(without.send(Self.envelope(body: eightBit)) == .sendFailed(.eightBitMIMENotOffered))
        var with = Self.ready("8BITMIME")
        #expect(with.send(Self.envelope(body: eightBit)) == .write([Self.mail(body: .eightBitMIME)]))
        var noUTF8 = Self.ready("8BITMIME")
        #expect(noUTF8.send(Self.envelope(["jos\u{E9}@x.test"])) == .sendFailed(.smtpUTF8NotOffered))
        var utf8 = Self.ready("8BITMIME", "SMTPUTF8")
        #expect(utf8.send(Self.envelope(["jos\u{E9}@x.test"])) == .write([Self.mail(utf8: true)]))
    }

    @Test func addressesThatWouldInjectCommandsAreRefused() {
        var machine = Self.ready()
        #expect(
            machine.send(Self.envelope(["a@x.test>\r\nRCPT TO:<b@x.test"]))
                == .sendFailed(.invalidAddress("a@x.test>\r\nRCPT TO:<b@x.test"))
        )
        #expect(machine.send(Self.envelope([])) == .sendFailed(.noRecipients))
    }

    @Test func serviceClosing421FailsTheSession() {
        var machine = Self.ready()
        _ = machine.send(Self.envelope())
        let reply = r("421 4.3.2 shutting down")
        #expect(machine.receivedReply(reply) == .fail(.serviceNotAvailable(reply)))
        #expect(machine.isClosed)
    }

    @Test func quitThenClose() {
        var machine = Self.ready()
        #expect(machine.quit() == .write([.quit]))
        #expect(machine.receivedReply(r("221 bye")) == .close)
    }
}

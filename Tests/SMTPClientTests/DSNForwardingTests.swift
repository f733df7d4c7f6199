import MailTestSupport
import NIOCore
import SMTPCore
import Testing

@testable import SMTPClient

/// RFC 3461 §5.2.1: a relay passes the sender's DSN parameters on when the next hop offers DSN, and
/// sends none where it does not (the parameters would be refused with 555).
@Suite(.offThePool) struct DSNForwardingTests {
    static let dsn = SMTPDSNRequest(
        ret: .headers,
        envelopeID: "env 42",
        recipients: [
            SMTPRecipientParameters(
                notify: .on(success: true, failure: true, delay: false),
                originalRecipient: "rfc822;A@x.test"
            ),
            SMTPRecipientParameters(),
        ]
    )

    static func envelope() -> SMTPClientStateMachine.Envelope {
        var envelope = StateMachineTests.envelope(["a@x.test", "b@x.test"])
        envelope.dsn = dsn
        return envelope
    }

    @Test func withDSNOfferedTheParametersGoOn() {
        var machine = StateMachineTests.ready("PIPELINING", "DSN")
        var mail = SMTPMailParameters()
        mail.ret = .headers
        mail.envelopeID = "env 42"
        let sender = SMTPMailbox(localPart: "me", domain: "x.test")
        #expect(
            machine.send(Self.envelope())
                == .write([
                    .mailFrom(.mailbox(sender), mail),
                    .rcptTo(.mailbox(SMTPMailbox(localPart: "a", domain: "x.test")), Self.dsn.recipients[0]),
                    .rcptTo(.mailbox(SMTPMailbox(localPart: "b", domain: "x.test")), SMTPRecipientParameters()),
                    .data,
                ])
        )
    }

    @Test func withoutDSNNothingIsSent() {
        var machine = StateMachineTests.ready("PIPELINING")
        #expect(
            machine.send(Self.envelope())
                == .write([
                    StateMachineTests.mail(), StateMachineTests.rcpt("a@x.test"), StateMachineTests.rcpt("b@x.test"),
                    .data,
                ])
        )
    }

    @Test func theEncodedCommandsCarryXtext() {
        let command = SMTPCommand.rcptTo(
            .mailbox(SMTPMailbox(localPart: "a", domain: "x.test")),
            Self.dsn.recipients[0]
        )
        #expect(String(buffer: command.encoded).contains("NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;A@x.test"))
    }
}

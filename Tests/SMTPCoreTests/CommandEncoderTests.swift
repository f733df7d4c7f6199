import NIOCore
import SMTPCore
import Testing

@Suite struct CommandEncoderTests {
    static let commands: [SMTPCommand] = [
        .ehlo("client.example"), .helo("client.example"),
        .mailFrom(.null, SMTPMailParameters()),
        .mailFrom(
            .mailbox(SMTPMailbox(localPart: "josé", domain: "example.test")),
            SMTPMailParameters(
                size: 42,
                body: .eightBitMIME,
                smtpUTF8: true,
                auth: "a+b=c@example.test",
                ret: .full,
                envelopeID: "id 1"
            )
        ),
        .rcptTo(.postmaster, SMTPRecipientParameters()),
        .rcptTo(
            .mailbox(SMTPMailbox(localPart: "bob", domain: "example.test")),
            SMTPRecipientParameters(
                notify: .on(success: false, failure: true, delay: true),
                originalRecipient: "rfc822;bob@example.test"
            )
        ),
        .data, .bdat(size: 12, last: false), .bdat(size: 0, last: true), .rset, .noop(nil), .quit,
        .vrfy("bob"), .expn("list"), .help(nil), .startTLS, .auth(mechanism: "PLAIN", initialResponse: "AGEAYg=="),
        .auth(mechanism: "LOGIN", initialResponse: nil),
    ]

    @Test(arguments: commands) func encodedCommandParsesBack(_ command: SMTPCommand) throws {
        var bytes = command.encoded
        let text = bytes.readString(length: bytes.readableBytes) ?? ""
        #expect(text.hasSuffix("\r\n"))
        #expect(try SMTPCommand(parsing: Array(text.utf8.dropLast(2))) == command)
    }

    @Test func canonicalForms() {
        #expect(
            String(buffer: SMTPCommand.mailFrom(.null, SMTPMailParameters(size: 10)).encoded)
                == "MAIL FROM:<> SIZE=10\r\n"
        )
        #expect(String(buffer: SMTPCommand.bdat(size: 5, last: true).encoded) == "BDAT 5 LAST\r\n")
        #expect(
            String(buffer: SMTPCommand.rcptTo(.postmaster, SMTPRecipientParameters()).encoded)
                == "RCPT TO:<Postmaster>\r\n"
        )
    }
}

import NIOCore
import SMTPCore
import Testing

private func parse(_ line: String) throws -> SMTPCommand {
    try SMTPCommand(parsing: Array(line.utf8))
}

private func parseError(_ line: String) -> SMTPCommandParseError? {
    do {
        _ = try SMTPCommand(parsing: Array(line.utf8))
        return nil
    } catch {
        return error
    }
}

private let alice = SMTPMailbox(localPart: "alice", domain: "example.test")

@Suite struct CommandParserTests {
    @Test func simpleCommands() throws {
        #expect(try parse("EHLO client.example") == .ehlo("client.example"))
        #expect(try parse("helo client.example") == .helo("client.example"))
        #expect(try parse("EHLO [192.0.2.1]") == .ehlo("[192.0.2.1]"))
        #expect(try parse("DATA") == .data)
        #expect(try parse("rset") == .rset)
        #expect(try parse("QUIT") == .quit)
        #expect(try parse("NOOP") == .noop(nil))
        #expect(try parse("NOOP hello there") == .noop("hello there"))
        #expect(try parse("HELP") == .help(nil))
        #expect(try parse("HELP MAIL") == .help("MAIL"))
        #expect(try parse("VRFY alice") == .vrfy("alice"))
        #expect(try parse("EXPN staff") == .expn("staff"))
        #expect(try parse("STARTTLS") == .startTLS)
    }

    @Test func mailFrom() throws {
        #expect(try parse("MAIL FROM:<alice@example.test>") == .mailFrom(.mailbox(alice), SMTPMailParameters()))
        #expect(try parse("mail from:<>") == .mailFrom(.null, SMTPMailParameters()))
        #expect(try parse("MAIL FROM: <alice@example.test>") == .mailFrom(.mailbox(alice), SMTPMailParameters()))
        let parameters = SMTPMailParameters(size: 1200, body: .eightBitMIME, smtpUTF8: true, auth: "<>")
        #expect(
            try parse("MAIL FROM:<alice@example.test> SIZE=1200 body=8bitmime SMTPUTF8 AUTH=<>")
                == .mailFrom(.mailbox(alice), parameters)
        )
        #expect(
            try parse("MAIL FROM:<alice@example.test> BODY=BINARYMIME")
                == .mailFrom(.mailbox(alice), SMTPMailParameters(body: .binaryMIME))
        )
        #expect(
            try parse("MAIL FROM:<alice@example.test> RET=HDRS ENVID=QQ+2B1")
                == .mailFrom(.mailbox(alice), SMTPMailParameters(ret: .headers, envelopeID: "QQ+1"))
        )
    }

    @Test func rcptTo() throws {
        #expect(try parse("RCPT TO:<alice@example.test>") == .rcptTo(.mailbox(alice), SMTPRecipientParameters()))
        #expect(try parse("RCPT TO:<postmaster>") == .rcptTo(.postmaster, SMTPRecipientParameters()))
        #expect(
            try parse("RCPT TO:<Postmaster@Example.Test>")
                == .rcptTo(
                    .mailbox(SMTPMailbox(localPart: "Postmaster", domain: "Example.Test")),
                    SMTPRecipientParameters()
                )
        )
        #expect(
            try parse("RCPT TO:<@relay.example,@other.example:alice@example.test>")
                == .rcptTo(.mailbox(alice), SMTPRecipientParameters())
        )
        #expect(
            try parse("RCPT TO:<alice@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice+40example.test")
                == .rcptTo(
                    .mailbox(alice),
                    SMTPRecipientParameters(
                        notify: .on(success: true, failure: true, delay: false),
                        originalRecipient: "rfc822;alice@example.test"
                    )
                )
        )
        #expect(
            try parse("RCPT TO:<alice@example.test> NOTIFY=NEVER")
                == .rcptTo(.mailbox(alice), SMTPRecipientParameters(notify: .never))
        )
    }

    @Test func mailboxForms() throws {
        #expect(
            try parse("RCPT TO:<\"john smith\"@example.test>")
                == .rcptTo(
                    .mailbox(SMTPMailbox(localPart: "\"john smith\"", domain: "example.test")),
                    SMTPRecipientParameters()
                )
        )
        #expect(
            try parse("RCPT TO:<user@[192.0.2.7]>")
                == .rcptTo(.mailbox(SMTPMailbox(localPart: "user", domain: "[192.0.2.7]")), SMTPRecipientParameters())
        )
        #expect(
            try parse("RCPT TO:<user@[IPv6:2001:db8::1]>")
                == .rcptTo(
                    .mailbox(SMTPMailbox(localPart: "user", domain: "[IPv6:2001:db8::1]")),
                    SMTPRecipientParameters()
                )
        )
        let utf8 = SMTPMailbox(localPart: "josé", domain: "correo.ejemplo")
        #expect(
            try parse("MAIL FROM:<josé@correo.ejemplo> SMTPUTF8")
                == .mailFrom(.mailbox(utf8), SMTPMailParameters(smtpUTF8: true))
        )
        #expect(utf8.isASCII == false)
        #expect(alice.isASCII)
    }

    @Test func bdatAndAuth() throws {
        #expect(try parse("BDAT 1000") == .bdat(size: 1000, last: false))
        #expect(try parse("bdat 0 last") == .bdat(size: 0, last: true))
        #expect(try parse("AUTH PLAIN") == .auth(mechanism: "PLAIN", initialResponse: nil))
        #expect(
            try parse("auth plain AGFsaWNlAHNlY3JldA==")
                == .auth(mechanism: "PLAIN", initialResponse: "AGFsaWNlAHNlY3JldA==")
        )
        #expect(try parse("AUTH LOGIN =") == .auth(mechanism: "LOGIN", initialResponse: "="))
    }

    @Test func unknownAndMalformedCommands() {
        #expect(parseError("FOO bar") == .unrecognizedCommand)
        #expect(parseError("") == .unrecognizedCommand)
        #expect(parseError("EHLO") == .syntax("EHLO needs an argument"))
        #expect(parseError("DATA now") == .syntax("DATA takes no argument"))
        #expect(parseError("MAIL alice@example.test") == .syntax("use MAIL FROM:<address>"))
        #expect(parseError("RCPT alice@example.test") == .syntax("use RCPT TO:<address>"))
        #expect(parseError("BDAT x") == .syntax("use BDAT <size> [LAST]"))
        #expect(parseError("BDAT 10 FIRST") == .syntax("use BDAT <size> [LAST]"))
        #expect(parseError("AUTH PLAIN not*base64") == .syntax("initial response is not base64"))
        #expect(parseError("VRFY") == .syntax("VRFY needs an argument"))
    }

    @Test func badAddresses() {
        #expect(parseError("MAIL FROM:alice@example.test") == .badSenderAddress("address must be in angle brackets"))
        #expect(parseError("MAIL FROM:<alice>") == .badSenderAddress("missing @domain"))
        #expect(parseError("RCPT TO:<alice@example.test") == .badRecipientAddress("missing closing angle bracket"))
        #expect(parseError("RCPT TO:<al..ice@example.test>") == .badRecipientAddress("malformed local part"))
        #expect(parseError("RCPT TO:<alice@-bad.test>") == .badRecipientAddress("malformed domain"))
        #expect(parseError("RCPT TO:<alice@bad..test>") == .badRecipientAddress("malformed domain"))
        #expect(parseError("RCPT TO:<\"open@example.test>") == .badRecipientAddress("unterminated quoted local part"))
    }

    @Test func parameterErrors() {
        #expect(parseError("MAIL FROM:<> FOO=1") == .unsupportedParameter("FOO"))
        #expect(parseError("RCPT TO:<alice@example.test> SIZE=1") == .unsupportedParameter("SIZE"))
        #expect(parseError("MAIL FROM:<> SIZE=big") == .syntax("SIZE needs a number"))
        #expect(parseError("MAIL FROM:<> SIZE=1 SIZE=2") == .syntax("SIZE given twice"))
        #expect(parseError("MAIL FROM:<> BODY=9BIT") == .syntax("BODY must be 7BIT, 8BITMIME or BINARYMIME"))
        #expect(parseError("MAIL FROM:<> SMTPUTF8=yes") == .syntax("SMTPUTF8 takes no value"))
        #expect(parseError("MAIL FROM:<>SIZE=1") == .syntax("parameters must follow the address after a space"))
        #expect(
            parseError("RCPT TO:<alice@example.test> NOTIFY=NEVER,SUCCESS")
                == .syntax("NOTIFY must be NEVER or SUCCESS,FAILURE,DELAY")
        )
        #expect(SMTPCommandParseError.unsupportedParameter("FOO").reply.code == 555)
        #expect(SMTPCommandParseError.unrecognizedCommand.reply.enhancedCode == EnhancedStatusCode(5, 5, 2))
        #expect(SMTPCommandParseError.badSenderAddress("x").reply.enhancedCode == EnhancedStatusCode(5, 1, 7))
        #expect(SMTPCommandParseError.badRecipientAddress("x").reply.enhancedCode == EnhancedStatusCode(5, 1, 3))
    }

    /// RFC 5321 4.5.3.1.1-3 limits, at N and N+1.
    @Test func addressLimits() throws {
        let local64 = String(repeating: "a", count: 64)
        #expect(
            try parse("RCPT TO:<\(local64)@example.test>")
                == .rcptTo(.mailbox(SMTPMailbox(localPart: local64, domain: "example.test")), SMTPRecipientParameters())
        )
        #expect(
            parseError("RCPT TO:<\(local64)a@example.test>") == .badRecipientAddress("local part longer than 64 octets")
        )
        let label = String(repeating: "d", count: 63)
        let domain255 = [label, label, label, label].joined(separator: ".")
        #expect(domain255.utf8.count == 255)
        #expect(parseError("RCPT TO:<a@\(domain255)d>") == .badRecipientAddress("domain longer than 255 octets"))
        // RFC 5321 4.5.3.1.3: the path, "<" local "@" domain ">", is at most 256 octets.
        let domain250 = [label, label, label, String(repeating: "d", count: 58)].joined(separator: ".")
        #expect(domain250.utf8.count == 250)
        #expect(
            try parse("RCPT TO:<abc@\(domain250)>")
                == .rcptTo(.mailbox(SMTPMailbox(localPart: "abc", domain: domain250)), SMTPRecipientParameters())
        )
        #expect(parseError("RCPT TO:<abcd@\(domain250)>") == .badRecipientAddress("path longer than 256 octets"))
    }

    @Test func sizeBeyondIntegerRangeIsHuge() throws {
        #expect(
            try parse("MAIL FROM:<> SIZE=99999999999999999999") == .mailFrom(.null, SMTPMailParameters(size: Int.max))
        )
    }

    @Test func invalidUTF8IsRefused() {
        var line = Array("MAIL FROM:<".utf8)
        line += [0xFF, 0xFE]
        line += Array("@example.test> SMTPUTF8".utf8)
        #expect(throws: SMTPCommandParseError.badSenderAddress("invalid UTF-8")) { try SMTPCommand(parsing: line) }
    }
}

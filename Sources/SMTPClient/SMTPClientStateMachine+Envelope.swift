import SMTPCore

/// The commands of one transaction, with the parameters the message and the server call for.
extension SMTPClientStateMachine {
    /// MAIL FROM with the parameters the message needs: SIZE (RFC 1870), BODY=8BITMIME (RFC 6152),
    /// SMTPUTF8 (RFC 6531).
    func mailCommand(for envelope: Envelope) -> SMTPCommand {
        var parameters = SMTPMailParameters()
        if capabilities.supports("SIZE") { parameters.size = envelope.size }
        if envelope.needsEightBit && capabilities.eightBitMIME { parameters.body = .eightBitMIME }
        parameters.smtpUTF8 = envelope.needsSMTPUTF8
        if let dsn = envelope.dsn, capabilities.supports("DSN") {
            parameters.ret = dsn.ret
            parameters.envelopeID = dsn.envelopeID
        }
        let path: SMTPReversePath = SMTPMailbox(address: envelope.from).map { .mailbox($0) } ?? .null
        return .mailFrom(path, parameters)
    }

    /// RCPT TO for recipient `index`, with its NOTIFY and ORCPT when the server offers DSN (RFC 3461 §4).
    func rcptCommand(_ envelope: Envelope, _ index: Int) -> SMTPCommand {
        var parameters = SMTPRecipientParameters()
        if let dsn = envelope.dsn, capabilities.supports("DSN"), index < dsn.recipients.count {
            parameters = dsn.recipients[index]
        }
        return Self.rcptTo(envelope.recipients[index], parameters)
    }

    /// RCPT TO for an address already checked by `isUsableInPath`.
    static func rcptTo(
        _ address: String,
        _ parameters: SMTPRecipientParameters = SMTPRecipientParameters()
    ) -> SMTPCommand {
        let mailbox = SMTPMailbox(address: address) ?? SMTPMailbox(localPart: address, domain: "invalid")
        return .rcptTo(.mailbox(mailbox), parameters)
    }
}

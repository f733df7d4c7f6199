import SMTPCore

extension SMTPSession {
    /// Plays the fault script (`correo serve --dev`) on `command`: true when a fault answered it (a
    /// scripted reply, or a delay after which `pauseElapsed` handles it), false to handle it as usual.
    mutating func scriptedFault(for command: SMTPCommand) -> Bool {
        guard let script = configuration.faults else { return false }
        switch script.decide(faultCommand(command), at: clock()) {
        case nil:
            return false
        case .reply(let reply):
            // RFC 5321 §3.8: a 421 is followed by closing the connection.
            if reply.code == 421 { closeWith(reply) } else { send(reply, countsAsError: false) }
            return true
        case .delay(let milliseconds):
            phase = .awaiting(.scriptedDelay(command))
            perform(.pause(.milliseconds(Int64(milliseconds))))
            return true
        case .closeAfter(let octets):
            dataCutoff = octets
            return false
        }
    }

    /// Whether the message has passed the scripted cut-off: then `421 4.4.2` and the connection closes,
    /// the message thrown away, as when a link drops mid-transfer.
    mutating func cutOffByScript() -> Bool {
        guard let cutoff = dataCutoff, messageSize > cutoff else { return false }
        closeWith(
            Reply.make(421, (4, 4, 2), "Connection cut after \(cutoff) octets of message data (correo --dev fault)")
        )
        return true
    }

    /// The command as the script sees it: its verb and the addresses `from=` and `to=` match.
    func faultCommand(_ command: SMTPCommand) -> SMTPFaultScript.Command {
        let accepted = envelopeRecipients.isEmpty ? recipients : envelopeRecipients.map(\.address)
        switch command {
        case .mailFrom(let path, _):
            return .init(verb: command.verb, sender: path.mailbox?.description ?? "", recipients: [])
        case .rcptTo(let path, _):
            let address: String
            switch path {
            case .postmaster: address = "postmaster"
            case .mailbox(let mailbox): address = mailbox.description
            }
            return .init(verb: command.verb, sender: sender?.mailbox?.description, recipients: [address])
        default:
            return .init(verb: command.verb, sender: sender?.mailbox?.description, recipients: accepted)
        }
    }
}

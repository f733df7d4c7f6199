import MailCore
import NIOCore
import SMTPCore

extension SMTPSession {
    /// One command line (RFC 5321 4.1), at most 512 octets with its CRLF (4.5.3.1.4).
    mutating func commandLine(_ frame: SMTPLineFramer.Frame) {
        currentCommand = nil
        guard case .line(let line) = frame, line.readableBytes + 2 <= SMTPDefaults.commandLineLength else {
            send(Reply.lineTooLong)
            return
        }
        let command: SMTPCommand
        do {
            command = try SMTPCommand(parsing: line.readableBytesView)
        } catch {
            send(error.reply)
            return
        }
        handle(command)
    }

    /// Handles one parsed command; `scripted` plays the fault script first (false once it has).
    mutating func handle(_ command: SMTPCommand, scripted: Bool = true) {
        currentCommand = command
        if scripted, scriptedFault(for: command) { return }
        switch command {
        case .ehlo(let name): hello(name, extended: true)
        case .helo(let name): hello(name, extended: false)
        case .mailFrom(let path, let parameters): mailFrom(path, parameters)
        case .rcptTo(let path, let parameters): rcptTo(path, parameters)
        case .data: data()
        case .bdat(let size, let last): bdat(size: size, last: last)
        case .rset:
            resetTransaction()
            send(Reply.ok)
        case .noop: send(Reply.ok)
        case .quit:
            resetTransaction()
            closeWith(Reply.make(221, (2, 0, 0), "\(configuration.hostname) closing connection"))
        case .vrfy: send(Reply.vrfy)
        case .expn: send(Reply.expn, countsAsError: false)
        case .help: send(Reply.help)
        case .startTLS: startTLS()
        case .auth(let mechanism, let initialResponse): auth(mechanism: mechanism, initialResponse: initialResponse)
        }
    }

    /// The EHLO keywords this session offers now (RFC 5321 4.1.1.1).
    var extensions: [String] {
        var keywords = [
            "PIPELINING", "SIZE \(configuration.maximumMessageSize)", "8BITMIME", "SMTPUTF8",
            "ENHANCEDSTATUSCODES", "CHUNKING", "BINARYMIME",
        ]
        if configuration.relays { keywords.append("DSN") }
        if configuration.tlsAvailable, !isTLS { keywords.append("STARTTLS") }
        if authenticationOffered, authenticatedUser == nil { keywords.append("AUTH PLAIN LOGIN") }
        keywords.append("HELP")
        return keywords
    }

    /// RFC 4954 4 and DESIGN.md: AUTH only over TLS, unless plaintext AUTH was allowed for testing.
    var authenticationOffered: Bool { isTLS || configuration.allowPlaintextAuth }

    /// RFC 5321 4.1.1.1: EHLO/HELO ends any transaction; the EHLO reply lists the extensions and carries
    /// no enhanced code (RFC 2034 3).
    mutating func hello(_ name: String, extended: Bool) {
        resetTransaction()
        greeting = (name, extended)
        // A reply line stays within 512 octets (RFC 5321 4.5.3.1.5): a domain is at most 255.
        let first =
            "\(configuration.hostname) greets \(String(decoding: name.utf8.prefix(SMTPDefaults.domainLength), as: UTF8.self))"
        send(SMTPReply(code: 250, nil, lines: extended ? [first] + extensions : [first]))
    }

    /// RFC 5321 4.1.1.2, with SIZE (RFC 1870 6), BODY (RFC 6152), SMTPUTF8 (RFC 6531 3.4), AUTH= (RFC 4954 5).
    mutating func mailFrom(_ path: SMTPReversePath, _ parameters: SMTPMailParameters) {
        guard let greeting else { return send(Reply.helloFirst) }
        guard sender == nil else { return send(Reply.nestedMail) }
        if configuration.listener.requiresAuthentication, authenticatedUser == nil {
            return send(Reply.authenticationRequired)
        }
        if !greeting.extended, !parameters.isEmpty { return send(Reply.noExtensionsAfterHELO) }
        if parameters.usesDSN, !configuration.relays { return send(Reply.dsnUnsupported) }
        if let size = parameters.size, size > configuration.maximumMessageSize {
            return send(Reply.messageTooBig, countsAsError: false)
        }
        if let mailbox = path.mailbox, !mailbox.isASCII, !parameters.smtpUTF8 { return send(Reply.needsSMTPUTF8) }
        if let user = authenticatedUser, configuration.requireSenderToMatchAuthenticatedUser,
            let mailbox = path.mailbox,
            mailbox.description.lowercased() != user.lowercased()
        {
            return send(Reply.senderNotOwned)
        }
        sender = path
        mailParameters = parameters
        transactionCount += 1
        send(Reply.senderOK)
    }

    /// RFC 5321 4.1.1.3 and the relay policy: local domains only, unless authenticated (then `451 4.3.0`
    /// until the outbound queue exists).
    mutating func rcptTo(_ path: SMTPForwardPath, _ parameters: SMTPRecipientParameters) {
        guard sender != nil else { return send(greeting == nil ? Reply.helloFirst : Reply.mailFirst) }
        if parameters.usesDSN, !configuration.relays { return send(Reply.dsnUnsupported) }
        guard max(recipients.count, envelopeRecipients.count) < configuration.maximumRecipients else {
            return send(Reply.tooManyRecipients)
        }
        pendingRecipientParameters = parameters
        let mailbox: SMTPMailbox
        switch path {
        case .postmaster:
            if let postmaster = configuration.postmasterMailbox {
                return recipientLookedUp(address: "", mailbox: postmaster)
            }
            guard let domain = configuration.localDomains.sorted().first else { return send(Reply.unknownUser) }
            mailbox = SMTPMailbox(localPart: "postmaster", domain: domain)
        case .mailbox(let given):
            mailbox = given
        }
        if !mailbox.isASCII, !mailParameters.smtpUTF8 { return send(Reply.needsSMTPUTF8) }
        // A U-label domain (RFC 6531) is compared and stored as its A-label, so both forms deliver.
        let domain =
            IDNA.isInternationalized(mailbox.domain)
            ? IDNA.toASCII(mailbox.domain) ?? mailbox.domain.lowercased() : mailbox.domain.lowercased()
        guard configuration.localDomains.contains(domain) else {
            // Never an open relay: only an authenticated user's mail goes to other domains.
            guard authenticatedUser != nil else { return send(Reply.relayDenied) }
            guard configuration.relays else { return send(Reply.relayUnavailable) }
            let address = "\(mailbox.localPart)@\(domain)"
            if !envelopeRecipients.contains(where: { $0.address == address && $0.mailbox == nil }) {
                envelopeRecipients.append(SMTPEnvelopeRecipient(address: address, mailbox: nil, parameters: parameters))
            }
            return send(Reply.recipientOK)
        }
        if mailbox.localPart.lowercased() == "postmaster", let postmaster = configuration.postmasterMailbox {
            return recipientLookedUp(address: "", mailbox: postmaster)
        }
        let address = "\(mailbox.localPart)@\(domain)"
        phase = .awaiting(.recipient(address: address))
        perform(.lookUpRecipient(address))
    }

    mutating func recipientLookedUp(address: String, mailbox: String?) {
        guard let mailbox else {
            // RFC 5321 4.5.1 wants postmaster accepted: say what the operator must do.
            if address.lowercased().hasPrefix("postmaster@") {
                return send(Reply.make(550, (5, 1, 1), "No postmaster mailbox here: the operator must add \(address)"))
            }
            return send(Reply.unknownUser)
        }
        if !recipients.contains(mailbox) { recipients.append(mailbox) }
        if configuration.relays, !envelopeRecipients.contains(where: { $0.mailbox == mailbox }) {
            let given = address.isEmpty ? mailbox : address
            envelopeRecipients.append(
                SMTPEnvelopeRecipient(address: given, mailbox: mailbox, parameters: pendingRecipientParameters)
            )
        }
        send(Reply.recipientOK)
    }

    /// RFC 5321 4.1.1.4: 354, then lines until `.` (RFC 2920 3.1: 554 when no recipient was accepted).
    mutating func data() {
        guard sender != nil else { return send(greeting == nil ? Reply.helloFirst : Reply.mailFirst) }
        guard !messageOpen else { return send(Reply.badSequence) }
        guard hasRecipients else { return send(Reply.noValidRecipients) }
        guard mailParameters.body != .binaryMIME else { return send(Reply.binaryNeedsBDAT) }
        phase = .data
        send(Reply.startMailInput)
        openMessage()
    }

    /// RFC 3030 2: the chunk's octets are always read, even when the command is refused.
    mutating func bdat(size: Int, last: Bool) {
        var refusal: SMTPReply?
        if sender == nil {
            refusal = greeting == nil ? Reply.helloFirst : Reply.mailFirst
        } else if !hasRecipients {
            refusal = Reply.noValidRecipients
        } else {
            if !messageOpen { openMessage() }
            if size > configuration.maximumMessageSize - messageSize { messageFault = .tooBig }
        }
        phase = .chunk(remaining: size, size: size, last: last, refusal: refusal)
    }

    mutating func chunkFinished(size: Int, last: Bool, refusal: SMTPReply?) {
        phase = .command
        if let refusal { return send(refusal) }
        if let fault = messageFault ?? (last ? routingLoop : nil) {
            resetTransaction()
            return send(Reply.refusal(for: fault), countsAsError: false)
        }
        if last {
            finishMessage()
        } else {
            send(Reply.make(250, (2, 0, 0), "\(size) octets received"))
        }
    }

    /// RFC 3207 4.2: the reply is the last plaintext; anything the client pipelined after STARTTLS is
    /// thrown away, and all knowledge from before TLS (greeting, AUTH, transaction) is forgotten.
    mutating func startTLS() {
        guard configuration.tlsAvailable else { return send(Reply.tlsNotAvailable) }
        guard !isTLS else { return send(Reply.tlsAlreadyActive) }
        guard !inTransaction else { return send(Reply.badSequence) }
        send(Reply.readyForTLS)
        perform(.startTLS)
        framer.discardBuffered()
        resetTransaction()
        greeting = nil
        authenticatedUser = nil
        isTLS = true
    }
}

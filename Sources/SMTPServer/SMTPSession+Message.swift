import Foundation
import MailCore
import NIOCore
import SMTPCore

extension SMTPSession {
    /// Opens the message in the store and writes the trace headers in front of it (RFC 5321 4.4).
    mutating func openMessage() {
        messageOpen = true
        messageSize = 0
        messageFault = nil
        hops = HopCounter()
        perform(.beginMessage)
        // RFC 5321 §4.4: Return-Path is for the final delivery; a queued message may go on to another
        // host, so the queue adds it when it delivers locally.
        pendingData.writeString(traceHeaders(returnPath: !isQueued))
    }

    /// One DATA line: `.` ends the message; one leading dot is removed (RFC 5321 4.5.2).
    ///
    /// Over-long lines and over-size messages are read to the end and then refused, so the client stays in step.
    mutating func dataLine(_ frame: SMTPLineFramer.Frame) {
        guard case .line(let line) = frame else {
            if messageFault == nil { messageFault = .lineTooLong }
            return
        }
        switch DotStuffing.unstuff(line) {
        case .endOfData:
            phase = .command
            if let fault = messageFault ?? routingLoop {
                resetTransaction()
                send(Reply.refusal(for: fault), countsAsError: false)
            } else {
                finishMessage()
            }
        case .text(var text):
            messageSize += text.readableBytes + 2
            if cutOffByScript() { return }
            if messageSize > configuration.maximumMessageSize, messageFault == nil { messageFault = .tooBig }
            guard messageFault == nil else { return }
            hops.consume(text.readableBytesView)
            hops.consume(CollectionOfOne(UInt8(ascii: "\n")))
            pendingData.writeBuffer(&text)
            pendingData.writeStaticString("\r\n")
        }
    }

    /// DATA lines none of which starts with "." or is too long, with their CRLFs: what `dataLine` does to
    /// each of them, done to the block (the scripted cut-off and a fault already found take the line path).
    mutating func dataLines(_ lines: ByteBuffer) {
        var lines = lines
        messageSize += lines.readableBytes
        if messageSize > configuration.maximumMessageSize {
            messageFault = .tooBig
            return
        }
        hops.consume(lines.readableBytesView)
        pendingData.writeBuffer(&lines)
    }

    /// Octets of a BDAT chunk, taken as they are (RFC 3030 2).
    mutating func messageBytes(_ bytes: ByteBuffer) {
        messageSize += bytes.readableBytes
        if cutOffByScript() { return }
        if messageSize > configuration.maximumMessageSize { messageFault = .tooBig }
        guard messageFault == nil else { return }
        hops.consume(bytes.readableBytesView)
        flushData()
        actions.append(.messageData(bytes))
    }

    /// Hands the whole message to the store; the reply waits for its answer (durable before 250).
    mutating func finishMessage() {
        phase = .awaiting(.delivery)
        guard isQueued else { return perform(.deliverMessage(recipients: recipients, origin: origin)) }
        let envelope = SMTPEnvelope(
            sender: sender?.mailbox?.description ?? "",
            recipients: envelopeRecipients,
            parameters: mailParameters,
            authenticatedUser: authenticatedUser,
            clientAddress: clientAddress
        )
        perform(.deliverMessage(recipients: recipients, envelope: envelope, origin: origin))
    }

    /// The client, its EHLO/HELO name, MAIL FROM and AUTH identity of the current transaction.
    var origin: SMTPMessageOrigin {
        SMTPMessageOrigin(
            clientAddress: clientAddress,
            heloName: greeting?.name ?? "",
            sender: sender?.mailbox?.description ?? "",
            authenticatedUser: authenticatedUser
        )
    }

    mutating func messageStored(_ outcome: SMTPStoreOutcome) {
        let id = messageID
        messageOpen = false
        resetTransaction()
        switch outcome {
        case .delivered: send(Reply.make(250, (2, 0, 0), "OK: queued as \(id)"))
        case .queued(let queueID): send(Reply.make(250, (2, 0, 0), "OK: queued as \(queueID)"))
        case .temporaryFailure: send(Reply.storeFailed)
        case .insufficientStorage: send(Reply.storeFull)
        case .refused(let reason): send(Reply.refusedByPolicy(reason))
        }
        if shuttingDown { closeWith(Reply.shuttingDown(configuration.hostname)) }
    }

    /// Whether the message goes through the outbound queue: a recipient at another domain, or a
    /// notification of success asked for (RFC 3461: the queue sends it once delivered) — or every
    /// message, when the operator chose queue-first local delivery.
    var isQueued: Bool {
        configuration.queuesLocalMail
            || configuration.relays
                && envelopeRecipients.contains {
                    $0.mailbox == nil || $0.parameters.notify.map(Self.asksForSuccess) == true
                }
    }

    static func asksForSuccess(_ notify: SMTPDSNNotify) -> Bool {
        if case .on(let success, _, _) = notify { return success }
        return false
    }

    /// A routing loop found in the header section read so far.
    var routingLoop: MessageFault? { hops.count > SMTPServerDefaults.maximumHops ? .routingLoop : nil }

    /// Whether any recipient was accepted, local or at another domain.
    var hasRecipients: Bool { !recipients.isEmpty || envelopeRecipients.contains { $0.mailbox == nil } }

    /// The id of the current transaction, used in the Received: header and the 250 reply.
    var messageID: String { "\(connectionID)-\(transactionCount)" }

    /// RFC 3848 and RFC 6531 7.7: the `with` protocol name for this session.
    var receivedProtocol: String {
        guard let greeting, greeting.extended else { return "SMTP" }
        var name = mailParameters.smtpUTF8 ? "UTF8SMTP" : "ESMTP"
        if isTLS { name += "S" }
        if authenticatedUser != nil { name += "A" }
        return name
    }

    /// `Return-Path:` (RFC 5321 4.4) and the `Received:` time stamp line:
    /// `Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time`, with `for` only when there is a
    /// single recipient, so one copy does not reveal the others.
    func traceHeaders(returnPath: Bool = true) -> String {
        let literal =
            clientAddress.utf8.contains(UInt8(ascii: ":")) ? "[IPv6:\(clientAddress)]" : "[\(clientAddress)]"
        let heloName = Self.headerSafe(greeting?.name ?? "", allowsUTF8: mailParameters.smtpUTF8)
        let single = isQueued ? envelopeRecipients.count == 1 : recipients.count == 1
        let recipient = single ? (isQueued ? envelopeRecipients.first?.address : recipients.first) : nil
        // Built as octets: these lines are written for every message, and as string pieces they cost
        // more than the rest of the trace (callgrind).
        var header: [UInt8] = []
        header.reserveCapacity(256)
        if returnPath {
            header.append(contentsOf: "Return-Path: ".utf8)
            header.append(contentsOf: (sender?.description ?? "<>").utf8)
            header.append(contentsOf: "\r\n".utf8)
        }
        for piece in [
            "Received: from ", heloName, " (", literal, ")\r\n\tby ", configuration.hostname, " (correo) with ",
            receivedProtocol, " id ", messageID,
        ] {
            header.append(contentsOf: piece.utf8)
        }
        if let recipient {
            header.append(contentsOf: "\r\n\tfor <".utf8)
            header.append(contentsOf: recipient.utf8)
            header.append(UInt8(ascii: ">"))
        }
        header.append(contentsOf: ";\r\n\t".utf8)
        header.append(contentsOf: MessageDate.format(clock()).utf8)
        header.append(contentsOf: "\r\n".utf8)
        return String(decoding: header, as: UTF8.self)
    }

    /// The client's name as the Received: field may carry it; `unknown` when nothing of it is left.
    ///
    /// The name is the client's claim, not checked: only what cannot break the header is kept (no
    /// comment parentheses, no controls or spaces, and no 8-bit octets unless the message is an
    /// SMTPUTF8 one). A name that is all printable ASCII (nearly every one) is kept as it is, without
    /// looking at it scalar by scalar.
    static func headerSafe(_ name: String, allowsUTF8: Bool) -> String {
        let plain = name.utf8.allSatisfy { octet in
            octet > 0x20 && octet < 0x7F && octet != UInt8(ascii: "(") && octet != UInt8(ascii: ")")
        }
        let claimed =
            plain
            ? name
            : String(
                name.unicodeScalars.filter { scalar in
                    scalar.value > 0x20 && scalar.value != 0x7F && scalar != "(" && scalar != ")"
                        && (scalar.isASCII || allowsUTF8)
                }
            )
        return claimed.isEmpty ? "unknown" : claimed
    }
}

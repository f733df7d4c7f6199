import MailCore

/// Builds ENVELOPE (RFC 3501 §7.4.2) from a parsed header.
///
/// Values are the header's bytes unfolded, not decoded (encoded words stay as sent, which is what clients expect and
/// Dovecot does).
enum EnvelopeBuilder {
    static func envelope(_ header: MessageHeader) -> Envelope {
        func value(_ name: String) -> [UInt8]? { header.field(named: name)?.unfoldedValue }
        func addresses(_ name: String) -> [EnvelopeAddress] {
            guard let field = header.field(named: name) else { return [] }
            return AddressListParser.parse(field.unfoldedValue)
        }
        let from = addresses("From")
        let sender = addresses("Sender")
        let replyTo = addresses("Reply-To")
        // RFC 3501 §7.4.2: sender and reply-to default to from.
        return Envelope(
            date: value("Date"),
            subject: value("Subject"),
            from: from,
            sender: sender.isEmpty ? from : sender,
            replyTo: replyTo.isEmpty ? from : replyTo,
            to: addresses("To"),
            cc: addresses("Cc"),
            bcc: addresses("Bcc"),
            inReplyTo: value("In-Reply-To"),
            messageID: value("Message-ID")
        )
    }
}

/// Envelope addresses from MailCore's RFC 5322 §3.4 address-list parser.
///
/// Display names are kept raw (encoded words not decoded). Groups become start/end markers (RFC 3501 §7.4.2); a missing
/// local part or domain is spelled `MISSING_MAILBOX` / `MISSING_DOMAIN` as Dovecot does, since a NIL host would read as
/// a group marker.
enum AddressListParser {
    static func parse(_ bytes: [UInt8]) -> [EnvelopeAddress] {
        var result: [EnvelopeAddress] = []
        for address in Address.parseList(bytes, decodingEncodedWords: false) {
            switch address {
            case .mailbox(let mailbox):
                result.append(envelopeAddress(mailbox))
            case .group(let name, let members):
                result.append(EnvelopeAddress(name: nil, mailbox: Array(name.utf8), host: nil))
                result.append(contentsOf: members.map(envelopeAddress))
                result.append(EnvelopeAddress(name: nil, mailbox: nil, host: nil))
            }
        }
        return result
    }

    private static func envelopeAddress(_ mailbox: MailCore.Mailbox) -> EnvelopeAddress {
        EnvelopeAddress(
            name: mailbox.displayName.flatMap { $0.isEmpty ? nil : Array($0.utf8) },
            adl: mailbox.route.map { Array($0.utf8) },
            mailbox: Array((mailbox.localPart.isEmpty ? "MISSING_MAILBOX" : mailbox.localPart).utf8),
            host: Array((mailbox.domain.isEmpty ? "MISSING_DOMAIN" : mailbox.domain).utf8)
        )
    }
}

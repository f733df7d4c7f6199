import MailCore

/// Builds ENVELOPE (RFC 3501 §7.4.2) from a parsed header. Values are the header's bytes unfolded,
/// not decoded (encoded words stay as sent, which is what clients expect and Dovecot does).
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
            date: value("Date"), subject: value("Subject"), from: from, sender: sender.isEmpty ? from : sender,
            replyTo: replyTo.isEmpty ? from : replyTo, to: addresses("To"), cc: addresses("Cc"), bcc: addresses("Bcc"),
            inReplyTo: value("In-Reply-To"), messageID: value("Message-ID"))
    }
}

/// A lenient RFC 5322 §3.4 address-list reader producing envelope addresses: display names as sent
/// (quotes removed, comments dropped), group markers for groups, and `MISSING_DOMAIN` /
/// `MISSING_MAILBOX` for broken addresses (as Dovecot does), so no address is silently lost.
enum AddressListParser {
    enum Token: Equatable {
        case word([UInt8])
        case quoted([UInt8])
        case special(UInt8)
        case domainLiteral([UInt8])
    }

    static func tokenize(_ bytes: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var i = 0
        let specials: Set<UInt8> = Set("<>@,;:".utf8)
        while i < bytes.count {
            let c = bytes[i]
            if c == .space || c == UInt8(ascii: "\t") || c == .cr || c == .lf {
                i += 1
            } else if c == UInt8(ascii: "(") {
                var depth = 0
                while i < bytes.count {
                    if bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
                    if bytes[i] == UInt8(ascii: "(") { depth += 1 }
                    if bytes[i] == UInt8(ascii: ")") { depth -= 1; if depth == 0 { i += 1; break } }
                    i += 1
                }
            } else if c == UInt8(ascii: "\"") {
                var value: [UInt8] = []
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count { i += 1 }
                    value.append(bytes[i])
                    i += 1
                }
                i += 1
                tokens.append(.quoted(value))
            } else if c == UInt8(ascii: "[") {
                let start = i
                while i < bytes.count, bytes[i] != UInt8(ascii: "]") { i += 1 }
                i = min(i + 1, bytes.count)
                tokens.append(.domainLiteral(Array(bytes[start..<i])))
            } else if specials.contains(c) {
                tokens.append(.special(c))
                i += 1
            } else {
                let start = i
                while i < bytes.count, !specials.contains(bytes[i]), bytes[i] != .space, bytes[i] != UInt8(ascii: "\t"),
                    bytes[i] != UInt8(ascii: "("), bytes[i] != UInt8(ascii: "\""), bytes[i] != .cr, bytes[i] != .lf
                {
                    i += 1
                }
                tokens.append(.word(Array(bytes[start..<i])))
            }
        }
        return tokens
    }

    static func parse(_ bytes: [UInt8]) -> [EnvelopeAddress] {
        let tokens = tokenize(bytes)
        var result: [EnvelopeAddress] = []
        var index = 0
        var inGroup = false
        var phrase: [[UInt8]] = []
        while index < tokens.count {
            let token = tokens[index]
            switch token {
            case .special(UInt8(ascii: ":")) where !inGroup:
                result.append(EnvelopeAddress(name: nil, mailbox: joined(phrase), host: nil))
                inGroup = true
                phrase = []
                index += 1
            case .special(UInt8(ascii: ";")):
                if !phrase.isEmpty { result.append(contentsOf: addrSpec(phrase)) }
                phrase = []
                if inGroup { result.append(EnvelopeAddress(name: nil, mailbox: nil, host: nil)) }
                inGroup = false
                index += 1
            case .special(UInt8(ascii: ",")):
                if !phrase.isEmpty { result.append(contentsOf: addrSpec(phrase)) }
                phrase = []
                index += 1
            case .special(UInt8(ascii: "<")):
                var end = index + 1
                while end < tokens.count, tokens[end] != .special(UInt8(ascii: ">")) { end += 1 }
                var inner = Array(tokens[(index + 1)..<end])
                // Drop an obsolete route (`@a,@b:`) before the addr-spec.
                if let colon = inner.firstIndex(of: .special(UInt8(ascii: ":"))) { inner.removeSubrange(...colon) }
                var address = addressFromSpec(inner)
                address.name = phrase.isEmpty ? nil : joined(phrase)
                result.append(address)
                phrase = []
                index = end + 1
                // Skip anything up to the next separator.
                while index < tokens.count, tokens[index] != .special(UInt8(ascii: ",")),
                    tokens[index] != .special(UInt8(ascii: ";"))
                {
                    index += 1
                }
            case .word(let w), .quoted(let w), .domainLiteral(let w):
                phrase.append(w)
                index += 1
            case .special(let s):
                phrase.append([s])
                index += 1
            }
        }
        if !phrase.isEmpty { result.append(contentsOf: addrSpec(phrase)) }
        if inGroup { result.append(EnvelopeAddress(name: nil, mailbox: nil, host: nil)) }
        return result
    }

    private static func joined(_ words: [[UInt8]]) -> [UInt8] {
        Array(words.joined(separator: [UInt8.space]))
    }

    /// A bare addr-spec given as phrase pieces (`user @ host`).
    private static func addrSpec(_ pieces: [[UInt8]]) -> [EnvelopeAddress] {
        let tokens = pieces.map { $0 == [UInt8(ascii: "@")] ? Token.special(UInt8(ascii: "@")) : Token.word($0) }
        return [addressFromSpec(tokens)]
    }

    private static func addressFromSpec(_ tokens: [Token]) -> EnvelopeAddress {
        var local: [UInt8] = []
        var domain: [UInt8] = []
        var seenAt = false
        for token in tokens {
            switch token {
            case .special(UInt8(ascii: "@")) where !seenAt: seenAt = true
            case .word(let w), .domainLiteral(let w):
                if seenAt { domain += w } else { local += w }
            case .quoted(let w):
                if seenAt { domain += w } else { local += w }
            case .special(let s):
                if seenAt { domain.append(s) } else { local.append(s) }
            }
        }
        return EnvelopeAddress(
            name: nil, mailbox: local.isEmpty ? Array("MISSING_MAILBOX".utf8) : local,
            host: domain.isEmpty ? Array("MISSING_DOMAIN".utf8) : domain)
    }
}

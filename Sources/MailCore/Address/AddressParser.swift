/// Lexical tokens of a structured header (RFC 5322 3.2).
enum AddressToken: Equatable {
    /// An atom (3.2.3), or a run of atext and dots.
    case atom([UInt8])
    /// A quoted string's content (3.2.4).
    case quoted([UInt8])
    /// A comment's content (3.2.2).
    case comment([UInt8])
    /// A domain literal including its brackets (3.4.1).
    case domainLiteral([UInt8])
    /// One of the specials `<>@,;:.` and anything else that is not text.
    case special(UInt8)
}

enum AddressTokenizer {
    static func tokenize(_ bytes: [UInt8]) -> [AddressToken] {
        var tokens: [AddressToken] = []
        let slice = bytes[...]
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if ASCII.isWhitespaceOrNewline(byte) {
                index += 1
            } else if byte == ASCII.openParen {
                let end = HeaderLexer.skipComment(slice, from: index)
                let contentEnd = end > index + 1 && bytes[end - 1] == ASCII.closeParen ? end - 1 : end
                tokens.append(.comment(Array(bytes[(index + 1)..<max(index + 1, contentEnd)])))
                index = end
            } else if byte == ASCII.quote {
                let (value, end) = HeaderLexer.readQuotedString(slice, from: index)
                tokens.append(.quoted(value))
                index = end
            } else if byte == ASCII.openBracket {
                var end = index + 1
                while end < bytes.count, bytes[end] != ASCII.closeBracket { end += 1 }
                end = min(end + 1, bytes.count)
                tokens.append(.domainLiteral(Array(bytes[index..<end])))
                index = end
            } else if AddressSyntax.isAtext(byte) {
                let start = index
                while index < bytes.count, AddressSyntax.isAtext(bytes[index]) { index += 1 }
                tokens.append(.atom(Array(bytes[start..<index])))
            } else {
                tokens.append(.special(byte))
                index += 1
            }
        }
        return tokens
    }
}

/// RFC 5322 3.4 address-list over tokens, with 4.4 obsolete forms, never failing.
struct AddressListParser {
    let tokens: [AddressToken]
    /// False to keep display names as written (encoded words undecoded), as IMAP ENVELOPE sends them.
    let decodesEncodedWords: Bool
    var index = 0

    init(tokens: [AddressToken], decodesEncodedWords: Bool = true) {
        self.tokens = tokens
        self.decodesEncodedWords = decodesEncodedWords
    }

    /// address-list = (address *("," address)) / obs-addr-list.
    mutating func parseList() -> [Address] {
        var result: [Address] = []
        var count = 0
        while index < tokens.count, count < MailCoreDefaults.maxAddressesPerField {
            if tokens[index] == .special(ASCII.comma) || tokens[index] == .special(ASCII.semicolon) {
                index += 1
                continue
            }
            let before = index
            if let address = parseAddress() {
                result.append(address)
                count += max(1, address.mailboxes.count)
            }
            if index == before { index += 1 }  // always make progress over junk
        }
        return result
    }

    /// address = mailbox / group; group = display-name ":" [group-list] ";".
    mutating func parseAddress() -> Address? {
        // A colon before any "<", "@" or "," makes this a group.
        var probe = index
        while probe < tokens.count {
            let token = tokens[probe]
            if token == .special(ASCII.colon) {
                let name = phrase(tokens[index..<probe])
                index = probe + 1
                var members: [Mailbox] = []
                while index < tokens.count, tokens[index] != .special(ASCII.semicolon) {
                    if tokens[index] == .special(ASCII.comma) {
                        index += 1
                        continue
                    }
                    let before = index
                    if let mailbox = parseMailbox(stopAtSemicolon: true) { members.append(mailbox) }
                    if index == before { index += 1 }
                }
                if index < tokens.count { index += 1 }  // the ";"
                return .group(name: name, members: members)
            }
            if token == .special(ASCII.lessThan) || token == .special(ASCII.at) || token == .special(ASCII.comma)
                || token == .special(ASCII.semicolon)
            {
                break
            }
            probe += 1
        }
        return parseMailbox(stopAtSemicolon: false).map(Address.mailbox)
    }

    /// mailbox = name-addr / addr-spec; name-addr = [display-name] angle-addr.
    mutating func parseMailbox(stopAtSemicolon: Bool) -> Mailbox? {
        let start = index
        var end = index
        var angle: Int?
        while end < tokens.count {
            let token = tokens[end]
            if token == .special(ASCII.comma), angle == nil || !startsRouteDomain(after: end) { break }
            if stopAtSemicolon && token == .special(ASCII.semicolon) { break }
            if token == .special(ASCII.lessThan), angle == nil { angle = end }
            if angle != nil, token == .special(ASCII.greaterThan) {
                end += 1
                break
            }
            end += 1
        }
        index = end
        let element = tokens[start..<end]
        if let angle {
            let name = phrase(element[start..<angle])
            var inner = element[(angle + 1)...]
            if let close = inner.firstIndex(of: .special(ASCII.greaterThan)) { inner = inner[..<close] }
            // obs-route (4.4): "@a,@b:" before the address is kept apart; it is not part of the address.
            var route: String?
            if let colon = inner.lastIndex(of: .special(ASCII.colon)) {
                route = obsRoute(inner[..<colon])
                inner = inner[(colon + 1)...]
            }
            var mailbox = addrSpec(inner)
            mailbox.displayName = name.isEmpty ? nil : name
            mailbox.route = route
            // Whether the element is empty is read from the tokens as written: a name that decodes to
            // nothing (an undecodable RFC 2047 word) must not make the list shorter than its raw form.
            if mailbox.localPart.isEmpty && mailbox.domain.isEmpty && !hasWords(element[start..<angle]) {
                return nil
            }
            return mailbox
        }
        guard element.contains(where: { if case .comment = $0 { return false } else { return true } }) else {
            return nil
        }
        var mailbox = addrSpec(element)
        // Old style "addr (Full Name)": the last comment names the mailbox.
        for token in element.reversed() {
            if case .comment(let text) = token, !text.isEmpty {
                mailbox.displayName = decodesEncodedWords ? EncodedWord.decode(text) : Charset.decodeUndeclared(text)
                break
            }
        }
        return mailbox
    }

    /// True when the next token after `position` that is not a comment is "@": the comma at
    /// `position` is inside an obs-domain-list (`<@a,@b:user@host>`), not between addresses.
    func startsRouteDomain(after position: Int) -> Bool {
        var next = position + 1
        while next < tokens.count, case .comment = tokens[next] { next += 1 }
        return next < tokens.count && tokens[next] == .special(ASCII.at)
    }

    /// Reads an obsolete source route such as `@a,@b:` before an address.
    ///
    /// RFC 5322 4.4: obs-route = obs-domain-list ":"; obs-domain-list = *(CFWS / ",") "@" domain
    /// *("," [CFWS] ["@" domain]). The list as text without comments or spaces (`@a,@b`), or nil
    /// when it holds nothing.
    func obsRoute(_ tokens: ArraySlice<AddressToken>) -> String? {
        var text: [UInt8] = []
        for token in tokens {
            switch token {
            case .atom(let bytes), .domainLiteral(let bytes): text += bytes
            case .quoted(let bytes): text += [ASCII.quote] + bytes + [ASCII.quote]
            case .special(let byte): text.append(byte)
            case .comment: break
            }
        }
        return text.isEmpty ? nil : String(decoding: text, as: UTF8.self)
    }

    /// addr-spec = local-part "@" domain, split at the last "@"; comments ignored.
    func addrSpec(_ tokens: ArraySlice<AddressToken>) -> Mailbox {
        let at = tokens.lastIndex(of: .special(ASCII.at))
        let localTokens = at.map { tokens[tokens.startIndex..<$0] } ?? tokens
        let domainTokens = at.map { tokens[($0 + 1)...] } ?? []
        var local: [UInt8] = []
        var sawWord = false
        for token in localTokens {
            switch token {
            case .atom(let bytes), .quoted(let bytes):
                // Words without dots between them (obsolete, or a phrase with no address) keep a space.
                if sawWord, local.last != ASCII.dot { local.append(ASCII.space) }
                local += bytes
                sawWord = true
            case .special(ASCII.dot): local.append(ASCII.dot)
            default: break
            }
        }
        var domain: [UInt8] = []
        for token in domainTokens {
            switch token {
            case .atom(let bytes), .domainLiteral(let bytes): domain += bytes
            case .special(ASCII.dot): domain.append(ASCII.dot)
            default: break
            }
        }
        return Mailbox(localPart: Charset.decodeUndeclared(local), domain: Charset.decodeUndeclared(domain))
    }

    /// Whether `tokens` hold a word (an atom or a non-empty quoted string) a phrase would be made of.
    func hasWords(_ tokens: ArraySlice<AddressToken>) -> Bool {
        tokens.contains { token in
            switch token {
            case .atom(let bytes), .quoted(let bytes): return !bytes.isEmpty
            default: return false
            }
        }
    }

    /// display-name = phrase: words joined by single spaces, then RFC 2047 words decoded (also
    /// inside quoted strings, as real mailers write them).
    func phrase(_ tokens: ArraySlice<AddressToken>) -> String {
        var words: [[UInt8]] = []
        for token in tokens {
            switch token {
            case .atom(let bytes), .quoted(let bytes): words.append(bytes)
            case .special(ASCII.dot):
                // obs-phrase (4.1) allows "." in names such as "Bob B."; keep it attached.
                if words.isEmpty { words.append([ASCII.dot]) } else { words[words.count - 1].append(ASCII.dot) }
            default: break
            }
        }
        let joined = Array(words.joined(separator: [ASCII.space]))
        let decoded = decodesEncodedWords ? EncodedWord.decode(joined) : Charset.decodeUndeclared(joined)
        return String(decoding: Array(decoded.utf8)[...].trimmingWhitespace(), as: UTF8.self)
    }
}

/// Reads a command line's bytes front to back; the path and parameter grammar of RFC 5321 4.1.2.
struct SMTPByteScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index == bytes.count }
    private var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func takeWhile(_ predicate: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        let start = index
        while let byte = next, predicate(byte) { index += 1 }
        return bytes[start..<index]
    }

    mutating func skipSpaces() { _ = takeWhile { $0 == .space } }

    /// Takes `keyword` if the next bytes match it case-insensitively.
    ///
    /// Octet by octet, ASCII letters folded: every MAIL and RCPT asks this, and through uppercased
    /// strings it cost 1,600 instructions a time (callgrind).
    mutating func takeKeyword(_ keyword: String) -> Bool {
        var at = index
        for wanted in keyword.utf8 {
            guard at < bytes.count, Self.folded(bytes[at]) == Self.folded(wanted) else { return false }
            at += 1
        }
        index = at
        return true
    }

    /// An ASCII lower-case letter as its capital; any other octet as it is.
    private static func folded(_ octet: UInt8) -> UInt8 {
        octet >= UInt8(ascii: "a") && octet <= UInt8(ascii: "z") ? octet - 0x20 : octet
    }

    /// ` SP argument` up to the end of the line, trailing spaces dropped; at least one non-space octet.
    mutating func requiredArgument(_ verb: String) throws(SMTPCommandParseError) -> ArraySlice<UInt8> {
        guard let argument = optionalArgumentBytes() else { throw .syntax("\(verb) needs an argument") }
        return argument
    }

    mutating func optionalArgument() -> String? {
        optionalArgumentBytes().map { String(decoding: $0, as: UTF8.self) }
    }

    private mutating func optionalArgumentBytes() -> ArraySlice<UInt8>? {
        skipSpaces()
        var rest = bytes[index...]
        index = bytes.count
        while rest.last == .space { rest = rest.dropLast() }
        return rest.isEmpty ? nil : rest
    }

    // MARK: Paths

    /// RFC 5321 4.1.2: `Reverse-path = Path / "<>"`.
    mutating func reversePath() throws(SMTPCommandParseError) -> SMTPReversePath {
        if takeKeyword("<>") { return .null }
        do {
            return .mailbox(try path())
        } catch {
            throw .badSenderAddress(error.why)
        }
    }

    /// RFC 5321 4.1.2: `Forward-path = Path`, with `"<Postmaster>"` allowed (4.1.1.3).
    mutating func forwardPath() throws(SMTPCommandParseError) -> SMTPForwardPath {
        if takeKeyword("<Postmaster>") { return .postmaster }
        do {
            return .mailbox(try path())
        } catch {
            throw .badRecipientAddress(error.why)
        }
    }

    struct PathError: Error {
        let why: String
    }

    /// Reads a reverse- or forward-path in angle brackets.
    ///
    /// RFC 5321 4.1.2: `Path = "<" [ A-d-l ":" ] Mailbox ">"`; `A-d-l = At-domain *( "," At-domain )`;
    /// `At-domain = "@" Domain`. Source routes are read and ignored (RFC 5321 C).
    private mutating func path() throws(PathError) -> SMTPMailbox {
        let start = index
        guard next == UInt8(ascii: "<") else { throw PathError(why: "address must be in angle brackets") }
        index += 1
        if next == UInt8(ascii: "@") {
            repeat {
                index += 1
                _ = try domain()
            } while takeByte(UInt8(ascii: ",")) && next == UInt8(ascii: "@")
            guard takeByte(UInt8(ascii: ":")) else { throw PathError(why: "malformed source route") }
        }
        let mailbox = try self.mailbox()
        guard takeByte(UInt8(ascii: ">")) else { throw PathError(why: "missing closing angle bracket") }
        guard index - start <= SMTPDefaults.pathLength else { throw PathError(why: "path longer than 256 octets") }
        return mailbox
    }

    private mutating func takeByte(_ byte: UInt8) -> Bool {
        guard next == byte else { return false }
        index += 1
        return true
    }

    /// RFC 5321 4.1.2: `Mailbox = Local-part "@" ( Domain / address-literal )`;
    /// `Local-part = Dot-string / Quoted-string`.
    private mutating func mailbox() throws(PathError) -> SMTPMailbox {
        let localStart = index
        if next == UInt8(ascii: "\"") {
            try quotedString()
        } else {
            try dotString()
        }
        let local = bytes[localStart..<index]
        guard local.count <= SMTPDefaults.localPartLength else {
            throw PathError(why: "local part longer than 64 octets")
        }
        guard takeByte(UInt8(ascii: "@")) else { throw PathError(why: "missing @domain") }
        let domain = try self.domain()
        guard let localPart = String(validating: local, as: UTF8.self) else { throw PathError(why: "invalid UTF-8") }
        return SMTPMailbox(localPart: localPart, domain: domain)
    }

    /// RFC 5321 4.1.2: `Dot-string = Atom *("." Atom)`; `Atom = 1*atext`; RFC 6531 3.3 adds UTF8-non-ascii
    /// to atext.
    private mutating func dotString() throws(PathError) {
        repeat {
            guard !takeWhile({ $0.isAtext }).isEmpty else { throw PathError(why: "malformed local part") }
        } while takeByte(UInt8(ascii: "."))
    }

    /// RFC 5321 4.1.2: `Quoted-string = DQUOTE *QcontentSMTP DQUOTE`; `QcontentSMTP = qtextSMTP / quoted-pairSMTP`;
    /// `quoted-pairSMTP = %d92 %d32-126`; `qtextSMTP = %d32-33 / %d35-91 / %d93-126` (RFC 6531: / UTF8-non-ascii).
    private mutating func quotedString() throws(PathError) {
        index += 1
        while let byte = next {
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"):
                guard let quoted = next, (32...126).contains(quoted) else {
                    throw PathError(why: "malformed quoted pair")
                }
                index += 1
            case 32...126, 0x80...0xFF: continue
            default: throw PathError(why: "control character in quoted local part")
            }
        }
        throw PathError(why: "unterminated quoted local part")
    }

    /// Reads a domain, an address literal or an internationalised (U-label) domain.
    ///
    /// RFC 5321 4.1.2: `Domain = sub-domain *("." sub-domain)`; `sub-domain = Let-dig [Ldh-str]`;
    /// `address-literal = "[" ( IPv4-address-literal / IPv6-address-literal / General-address-literal ) "]"`.
    /// RFC 6531 3.3: `sub-domain =/ U-label`, taken here as any run of UTF-8 non-ASCII octets.
    private mutating func domain() throws(PathError) -> String {
        let start = index
        if next == UInt8(ascii: "[") {
            index += 1
            // RFC 5321 4.1.3: dcontent = %d33-90 / %d94-126, which covers IPv4, IPv6 and general literals.
            let literal = takeWhile { (33...90).contains($0) || (94...126).contains($0) }
            guard !literal.isEmpty, takeByte(UInt8(ascii: "]")) else {
                throw PathError(why: "malformed address literal")
            }
        } else {
            repeat {
                let label = takeWhile { $0.isLetterDigitHyphen }
                guard let first = label.first, let last = label.last, first != UInt8(ascii: "-"),
                    last != UInt8(ascii: "-")
                else { throw PathError(why: "malformed domain") }
            } while takeByte(UInt8(ascii: "."))
        }
        let domain = bytes[start..<index]
        guard domain.count <= SMTPDefaults.domainLength else { throw PathError(why: "domain longer than 255 octets") }
        guard let text = String(validating: domain, as: UTF8.self) else { throw PathError(why: "invalid UTF-8") }
        return text
    }

    // MARK: Parameters

    /// Reads the ESMTP parameters after a MAIL or RCPT path.
    ///
    /// RFC 5321 4.1.2: `esmtp-param = esmtp-keyword ["=" esmtp-value]`;
    /// `esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`; `esmtp-value = 1*(%d33-60 / %d62-126)`
    /// (RFC 6531 3.3: / UTF8-non-ascii). Parameters are separated by SP.
    private mutating func parameters() throws(SMTPCommandParseError) -> [(keyword: String, value: ArraySlice<UInt8>?)] {
        var result: [(keyword: String, value: ArraySlice<UInt8>?)] = []
        while !isAtEnd {
            guard next == .space else { throw .syntax("parameters must follow the address after a space") }
            skipSpaces()
            if isAtEnd { break }
            let keyword = takeWhile { $0.isASCIILetterOrDigit || $0 == UInt8(ascii: "-") }
            guard let first = keyword.first, first.isASCIILetterOrDigit else { throw .syntax("malformed parameter") }
            var value: ArraySlice<UInt8>?
            if takeByte(UInt8(ascii: "=")) {
                let taken = takeWhile { (33...60).contains($0) || (62...126).contains($0) || $0 >= 0x80 }
                guard !taken.isEmpty else { throw .syntax("empty value for \(keyword.uppercasedASCII)") }
                value = taken
            }
            guard isAtEnd || next == .space else { throw .syntax("malformed parameter") }
            let name = keyword.uppercasedASCII
            guard !result.contains(where: { $0.keyword == name }) else { throw .syntax("\(name) given twice") }
            result.append((name, value))
        }
        return result
    }

    /// MAIL FROM's parameters: SIZE (RFC 1870 `size-value = 1*20DIGIT`), BODY (RFC 6152
    /// `body-value = "7BIT" / "8BITMIME"`, RFC 3030 `"BINARYMIME"`), SMTPUTF8 (RFC 6531 3.4, no value),
    /// AUTH (RFC 4954 5 `"AUTH=" xtext`), RET and ENVID (RFC 3461 4.3, 4.4).
    mutating func mailParameters() throws(SMTPCommandParseError) -> SMTPMailParameters {
        var result = SMTPMailParameters()
        for (keyword, value) in try parameters() {
            switch keyword {
            case "SIZE":
                guard let size = value?.decimalValue else { throw .syntax("SIZE needs a number") }
                result.size = size
            case "BODY":
                guard let value, let body = SMTPBodyType(rawValue: value.uppercasedASCII) else {
                    throw .syntax("BODY must be 7BIT, 8BITMIME or BINARYMIME")
                }
                result.body = body
            case "SMTPUTF8":
                guard value == nil else { throw .syntax("SMTPUTF8 takes no value") }
                result.smtpUTF8 = true
            case "AUTH":
                guard let value, let decoded = value.xtextDecoded else { throw .syntax("AUTH= needs an xtext value") }
                result.auth = decoded
            case "RET":
                guard let value, let ret = SMTPDSNReturn(rawValue: value.uppercasedASCII) else {
                    throw .syntax("RET must be FULL or HDRS")
                }
                result.ret = ret
            case "ENVID":
                guard let value, let decoded = value.xtextDecoded else { throw .syntax("ENVID= needs an xtext value") }
                result.envelopeID = decoded
            default:
                throw .unsupportedParameter(keyword)
            }
        }
        return result
    }

    /// RCPT TO's parameters: NOTIFY (RFC 3461 4.1 `"NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" )`) and
    /// ORCPT (RFC 3461 4.2 `addr-type ";" xtext`).
    mutating func recipientParameters() throws(SMTPCommandParseError) -> SMTPRecipientParameters {
        var result = SMTPRecipientParameters()
        for (keyword, value) in try parameters() {
            switch keyword {
            case "NOTIFY":
                guard let value else { throw .syntax("NOTIFY needs a value") }
                let words = value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
                    .map { $0.uppercasedASCII }
                if words == ["NEVER"] {
                    result.notify = .never
                } else {
                    guard Set(words).isSubset(of: ["SUCCESS", "FAILURE", "DELAY"]), Set(words).count == words.count
                    else { throw .syntax("NOTIFY must be NEVER or SUCCESS,FAILURE,DELAY") }
                    result.notify = .on(
                        success: words.contains("SUCCESS"),
                        failure: words.contains("FAILURE"),
                        delay: words.contains("DELAY")
                    )
                }
            case "ORCPT":
                guard let value, let semicolon = value.firstIndex(of: UInt8(ascii: ";")),
                    let address = value[value.index(after: semicolon)...].xtextDecoded, !address.isEmpty
                else { throw .syntax("ORCPT must be addr-type;xtext") }
                result.originalRecipient = String(decoding: value[..<semicolon], as: UTF8.self) + ";" + address
            default:
                throw .unsupportedParameter(keyword)
            }
        }
        return result
    }
}

extension UInt8 {
    /// RFC 5322 3.2.3 atext, with RFC 6531's UTF8-non-ascii.
    var isAtext: Bool {
        if isASCIILetterOrDigit || self >= 0x80 { return true }
        return "!#$%&'*+-/=?^_`{|}~".utf8.contains(self)
    }

    var isASCIILetterOrDigit: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self)
    }

    /// RFC 5321 4.1.2 Let-dig / Ldh-str characters, with UTF-8 octets for U-labels (RFC 6531).
    var isLetterDigitHyphen: Bool { isASCIILetterOrDigit || self == UInt8(ascii: "-") || self >= 0x80 }
}

extension Collection<UInt8> {
    /// The xtext-decoded value of a DSN parameter, or nil when it is not valid xtext.
    ///
    /// RFC 3461 4: `xtext = *( xchar / hexchar )`; `hexchar = "+" 2(%x30-39 / %x41-46)`. RFC 6533's
    /// utf-8-addr-xtext is read the same way (its `\x{…}` escapes are kept as written).
    var xtextDecoded: String? {
        var output: [UInt8] = []
        var iterator = makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                guard let high = iterator.next()?.hexValue, let low = iterator.next()?.hexValue else { return nil }
                output.append(high << 4 | low)
            } else {
                output.append(byte)
            }
        }
        return String(validating: output, as: UTF8.self)
    }
}

extension UInt8 {
    var hexValue: UInt8? {
        switch self {
        case 0x30...0x39: self - 0x30
        case 0x41...0x46: self - 0x41 + 10
        case 0x61...0x66: self - 0x61 + 10
        default: nil
        }
    }
}

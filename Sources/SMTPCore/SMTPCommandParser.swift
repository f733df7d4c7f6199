extension SMTPCommand {
    /// Parses one command line, without its CRLF.
    ///
    /// Verbs and parameter keywords are case-insensitive (RFC 5321 2.4). A space after `FROM:`/`TO:` is tolerated, as
    /// most servers do, though the grammar has none.
    public init<Bytes: Collection<UInt8>>(parsing line: Bytes) throws(SMTPCommandParseError) {
        var scanner = SMTPByteScanner(Array(line))
        let verb = scanner.takeWhile { $0 != .space }.uppercasedASCII
        switch verb {
        // RFC 5321 4.1.1.1: ehlo = "EHLO" SP ( Domain / address-literal ) CRLF
        // RFC 5321 4.1.1.1: helo = "HELO" SP Domain CRLF
        case "EHLO", "HELO":
            let argument = try scanner.requiredArgument(verb)
            guard let name = argument.split(separator: .space).first,
                let domain = String(validating: name, as: UTF8.self),
                name.allSatisfy({ $0 > 0x20 && $0 != 0x7F })
            else { throw .syntax("\(verb) needs the client's domain") }
            self = verb == "EHLO" ? .ehlo(domain) : .helo(domain)
        // RFC 5321 4.1.1.2: mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
        case "MAIL":
            guard scanner.takeKeyword(" FROM:") else { throw .syntax("use MAIL FROM:<address>") }
            scanner.skipSpaces()
            let path = try scanner.reversePath()
            self = .mailFrom(path, try scanner.mailParameters())
        // RFC 5321 4.1.1.3: rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
        //                          [SP Rcpt-parameters] CRLF
        case "RCPT":
            guard scanner.takeKeyword(" TO:") else { throw .syntax("use RCPT TO:<address>") }
            scanner.skipSpaces()
            let path = try scanner.forwardPath()
            self = .rcptTo(path, try scanner.recipientParameters())
        // RFC 5321 4.1.1.4: data = "DATA" CRLF; 4.1.1.5: rset = "RSET" CRLF; 4.1.1.10: quit = "QUIT" CRLF
        // RFC 3207 4: STARTTLS = "STARTTLS" CRLF
        case "DATA", "RSET", "QUIT", "STARTTLS":
            scanner.skipSpaces()
            guard scanner.isAtEnd else { throw .syntax("\(verb) takes no argument") }
            switch verb {
            case "DATA": self = .data
            case "RSET": self = .rset
            case "QUIT": self = .quit
            default: self = .startTLS
            }
        // RFC 5321 4.1.1.9: noop = "NOOP" [ SP String ] CRLF; 4.1.1.8: help = "HELP" [ SP String ] CRLF
        case "NOOP", "HELP":
            let argument = scanner.optionalArgument()
            self = verb == "NOOP" ? .noop(argument) : .help(argument)
        // RFC 5321 4.1.1.6: vrfy = "VRFY" SP String CRLF; 4.1.1.7: expn = "EXPN" SP String CRLF
        case "VRFY", "EXPN":
            let bytes = try scanner.requiredArgument(verb)
            guard let argument = String(validating: bytes, as: UTF8.self) else { throw .syntax("invalid UTF-8") }
            self = verb == "VRFY" ? .vrfy(argument) : .expn(argument)
        // RFC 3030 2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CRLF; chunk-size = 1*DIGIT;
        //             end-marker = "LAST"
        case "BDAT":
            let words = try scanner.requiredArgument(verb).split(separator: .space)
            guard (1...2).contains(words.count), let size = words[0].decimalValue else {
                throw .syntax("use BDAT <size> [LAST]")
            }
            if words.count == 2, words[1].uppercasedASCII != "LAST" { throw .syntax("use BDAT <size> [LAST]") }
            self = .bdat(size: size, last: words.count == 2)
        // RFC 4954 4: auth-command = "AUTH" SP sasl-mech [SP initial-response] *(CRLF [base64]) [CRLF cancel-response]
        //             sasl-mech = 1*20mech-char (RFC 4422); initial-response = base64 / "="
        case "AUTH":
            let words = try scanner.requiredArgument(verb).split(separator: .space)
            guard (1...2).contains(words.count), (1...20).contains(words[0].count),
                words[0].allSatisfy({ $0.isMechanismCharacter })
            else { throw .syntax("use AUTH <mechanism> [initial-response]") }
            var initialResponse: String?
            if words.count == 2 {
                guard words[1].allSatisfy({ $0.isBase64Character }) else {
                    throw .syntax("initial response is not base64")
                }
                initialResponse = String(decoding: words[1], as: UTF8.self)
            }
            self = .auth(mechanism: words[0].uppercasedASCII, initialResponse: initialResponse)
        default:
            throw .unrecognizedCommand
        }
    }
}

extension UInt8 {
    static let space = UInt8(ascii: " ")

    /// RFC 4422 3.1: sasl-mech characters, upper-case letters, digits, "-" and "_" (lower case tolerated).
    var isMechanismCharacter: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self)
            || self == UInt8(ascii: "-") || self == UInt8(ascii: "_")
    }

    /// RFC 4648 4 base64 alphabet, with "=" padding (and the "=" empty response of RFC 4954).
    var isBase64Character: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self)
            || self == UInt8(ascii: "+") || self == UInt8(ascii: "/") || self == UInt8(ascii: "=")
    }
}

extension Collection<UInt8> {
    /// The bytes as an upper-cased ASCII string, for comparing verbs and keywords.
    var uppercasedASCII: String {
        String(decoding: map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    /// A run of 1…20 decimal digits as a number (values beyond Int clamp to Int.max).
    var decimalValue: Int? {
        guard !isEmpty, count <= 20, allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        var value = 0
        for digit in self {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(digit - 0x30))
            if overflow1 || overflow2 { return Int.max }
            value = sum
        }
        return value
    }
}

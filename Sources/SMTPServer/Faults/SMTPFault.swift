import SMTPCore

/// One scripted fault of a test mail server (`correo serve --dev`): what a sender under test meets at
/// a given command, deterministically — a reply in place of the real one, a delay before the reply, a
/// DATA transfer cut off, or a rate limit per sender.
///
/// Written as one line, `COMMAND [from=GLOB] [to=GLOB] [times=N] EFFECT`:
///
///     RCPT to=x@example.com times=2 452 4.2.2 Mailbox busy, try again later
///     DATA close-after=1000
///     * delay=250
///     MAIL rate=10/min
///
/// `COMMAND` is an SMTP verb (`EHLO`, `MAIL`, `RCPT`, `DATA`, `BDAT`, `RSET`, `AUTH`, …) or `*` for every
/// command. `from=` matches the MAIL FROM address, `to=` the RCPT TO address (for RCPT) or any accepted
/// recipient (for later commands); `*` in a pattern stands for any run of characters, and case does
/// not matter. `times=N` applies the fault to the first N matching commands (counted per fault, over
/// every connection, so a retry then succeeds); without it, to every one. The effect is a reply
/// (`CODE [X.Y.Z] [TEXT]`; a 421 closes the connection, as RFC 5321 §3.8 has it), `delay=MS` before the
/// reply, `close-after=OCTETS` (DATA or BDAT: `421 4.4.2` once that many message octets have arrived,
/// then the connection closes), or `rate=N/min` (MAIL: N messages a minute per sender, then
/// `421 4.7.0`).
public struct SMTPFault: Sendable, Hashable, CustomStringConvertible {
    /// What the fault does.
    public enum Effect: Sendable, Hashable {
        /// This reply instead of the real one.
        case reply(SMTPReply)
        /// Wait this many milliseconds before handling the command.
        case delay(milliseconds: Int)
        /// After this many octets of message data, `421 4.4.2` and close.
        case closeAfter(octets: Int)
        /// A token bucket per sender: this many messages a minute, then `421 4.7.0`.
        case rate(messagesPerMinute: Int)
    }

    /// The verb it applies to, upper-case; `*` for every command.
    public var command: String
    /// A pattern for the MAIL FROM address, or nil for any sender.
    public var from: String?
    /// A pattern for the recipient, or nil for any.
    public var to: String?
    /// How many matching commands it applies to; nil for all of them.
    public var times: Int?
    /// What happens.
    public var effect: Effect

    /// A fault from its parts.
    public init(command: String, from: String? = nil, to: String? = nil, times: Int? = nil, effect: Effect) {
        self.command = command.uppercased()
        self.from = from
        self.to = to
        self.times = times
        self.effect = effect
    }

    /// The fault written as one line (see the type's documentation).
    public init(parsing line: String) throws(SMTPFaultParseError) {
        var tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)[...]
        guard let verb = tokens.popFirst() else {
            throw .init(line, "empty; write COMMAND [from=…] [to=…] [times=N] EFFECT")
        }
        guard verb == "*" || Self.verbs.contains(verb.uppercased()) else {
            throw .init(
                line,
                "\(verb) is not an SMTP command; use one of \(Self.verbs.sorted().joined(separator: " ")) or *"
            )
        }
        var from: String?
        var to: String?
        var times: Int?
        var effect: Effect?
        while let token = tokens.first, effect == nil {
            tokens.removeFirst()
            if token.first?.isNumber == true {
                effect = .reply(try Self.reply(code: token, rest: Array(tokens), line: line))
                tokens = []
                break
            }
            guard let equals = token.firstIndex(of: "=") else {
                throw .init(line, "\(token): expected from=, to=, times=, delay=, close-after=, rate= or a reply code")
            }
            let key = token[..<equals].lowercased()
            let value = String(token[token.index(after: equals)...])
            switch key {
            case "from": from = value
            case "to": to = value
            case "times":
                guard let count = Int(value), count > 0 else {
                    throw .init(line, "times=\(value): give a count above 0")
                }
                times = count
            case "delay":
                let digits = value.hasSuffix("ms") ? String(value.dropLast(2)) : value
                guard let milliseconds = Int(digits), (0...600_000).contains(milliseconds) else {
                    throw .init(line, "delay=\(value): give milliseconds, 0 to 600000")
                }
                effect = .delay(milliseconds: milliseconds)
            case "close-after":
                guard let octets = Int(value), octets >= 0 else {
                    throw .init(line, "close-after=\(value): give octets")
                }
                effect = .closeAfter(octets: octets)
            case "rate":
                let parts = value.lowercased().split(separator: "/")
                guard parts.count == 2, parts[1] == "min", let count = Int(parts[0]), count > 0 else {
                    throw .init(line, "rate=\(value): write N/min, N above 0")
                }
                effect = .rate(messagesPerMinute: count)
            default:
                throw .init(line, "\(key)= is not known; use from=, to=, times=, delay=, close-after= or rate=")
            }
        }
        guard let effect else { throw .init(line, "no effect: give a reply code, delay=, close-after= or rate=") }
        guard tokens.isEmpty else {
            throw .init(line, "\(tokens.joined(separator: " ")): nothing may follow the effect")
        }
        self.init(command: verb, from: from, to: to, times: times, effect: effect)
        if case .closeAfter = effect, !["DATA", "BDAT"].contains(command) {
            throw .init(line, "close-after= applies to DATA or BDAT")
        }
        if case .rate = effect, command != "MAIL" { throw .init(line, "rate= applies to MAIL") }
    }

    /// The line that parses back to this fault.
    public var description: String {
        var words = [command]
        if let from { words.append("from=\(from)") }
        if let to { words.append("to=\(to)") }
        if let times { words.append("times=\(times)") }
        switch effect {
        case .reply(let reply):
            words.append(String(reply.code))
            if let enhanced = reply.enhancedCode { words.append(enhanced.description) }
            if let text = reply.lines.first, !text.isEmpty { words.append(text) }
        case .delay(let milliseconds): words.append("delay=\(milliseconds)")
        case .closeAfter(let octets): words.append("close-after=\(octets)")
        case .rate(let count): words.append("rate=\(count)/min")
        }
        return words.joined(separator: " ")
    }

    /// The verbs a fault may name (RFC 5321 §4.1 and the extensions correo speaks).
    static let verbs: Set<String> = [
        "EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP",
        "STARTTLS", "AUTH",
    ]

    private static func reply(code text: String, rest: [String], line: String) throws(SMTPFaultParseError) -> SMTPReply
    {
        guard text.count == 3, let code = Int(text), (200...599).contains(code) else {
            throw .init(line, "\(text): a reply code is three digits, 200 to 599")
        }
        var words = rest[...]
        var enhanced: EnhancedStatusCode?
        if let first = words.first, let parsed = EnhancedStatusCode(parsing: Array(first.utf8)) {
            guard parsed.class == code / 100 else {
                throw .init(
                    line,
                    "\(first) does not match \(code): the enhanced code's class is the reply's first digit"
                )
            }
            enhanced = parsed
            words.removeFirst()
        }
        let message = words.isEmpty ? "Scripted reply (correo --dev fault)" : words.joined(separator: " ")
        guard message.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw .init(line, "the reply text must be printable ASCII")
        }
        return SMTPReply(code: code, enhanced, message)
    }
}

/// Why a fault line did not parse.
public struct SMTPFaultParseError: Error, Hashable, CustomStringConvertible {
    /// The line as given.
    public var line: String
    /// What is wrong with it.
    public var reason: String

    init(_ line: String, _ reason: String) {
        self.line = line
        self.reason = reason
    }

    /// `fault "LINE": REASON`.
    public var description: String { "fault \"\(line)\": \(reason)" }
}

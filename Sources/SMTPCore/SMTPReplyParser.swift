/// Why a reply line could not be read.
public enum SMTPReplyParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The line does not start with three digits followed by a space, a hyphen or the line end.
    case malformedLine(String)
    /// A continuation line carries a different code than the lines before it.
    case inconsistentCode(expected: Int, found: Int)

    /// The error for a log line, with the offending line cut to 80 characters.
    public var description: String {
        switch self {
        case .malformedLine(let line): "malformed SMTP reply line: \(line.prefix(80))"
        case .inconsistentCode(let expected, let found): "reply line code \(found) inside a \(expected) reply"
        }
    }
}

/// Collects reply lines (framed on CRLF, without it) into whole replies; what a client needs to read a
/// server, multi-line EHLO replies included.
public struct SMTPReplyParser: Sendable {
    private var code: Int?
    private var lines: [String] = []
    private var enhancedCode: EnhancedStatusCode?

    /// Whether the server's replies carry enhanced status codes (after EHLO advertised
    /// ENHANCEDSTATUSCODES); when false the text is kept whole even if it looks like one.
    public var expectsEnhancedCodes: Bool

    /// A parser expecting the first line of a reply.
    public init(expectsEnhancedCodes: Bool = true) {
        self.expectsEnhancedCodes = expectsEnhancedCodes
    }

    /// Reads one line.
    ///
    /// Returns the reply when this was its last line.
    ///
    /// RFC 5321 4.2: `Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF`,
    /// `Reply-code = %x32-35 %x30-35 %x30-39`. A bare code with no text is accepted as a last line.
    public mutating func parse<Bytes: Collection<UInt8>>(line bytes: Bytes) throws(SMTPReplyParseError) -> SMTPReply? {
        let line = Array(bytes)
        guard line.count >= 3, line[0..<3].allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw .malformedLine(String(decoding: line, as: UTF8.self))
        }
        let lineCode = line[0..<3].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        let isLast: Bool
        if line.count == 3 {
            isLast = true
        } else if line[3] == UInt8(ascii: " ") {
            isLast = true
        } else if line[3] == UInt8(ascii: "-") {
            isLast = false
        } else {
            throw .malformedLine(String(decoding: line, as: UTF8.self))
        }
        if let code, code != lineCode {
            reset()
            throw .inconsistentCode(expected: code, found: lineCode)
        }
        code = lineCode
        var text = line.count > 4 ? Array(line[4...]) : []
        // RFC 2034 4: the enhanced code, a space, then the text; its class matches the reply's.
        if expectsEnhancedCodes {
            let token = text.prefix { $0 != UInt8(ascii: " ") }
            if let enhanced = EnhancedStatusCode(parsing: token), enhanced.class == lineCode / 100 {
                if lines.isEmpty { enhancedCode = enhanced }
                text = Array(text.dropFirst(token.count).drop { $0 == UInt8(ascii: " ") })
            }
        }
        lines.append(String(decoding: text, as: UTF8.self))
        guard isLast else { return nil }
        let reply = SMTPReply(code: lineCode, enhancedCode, lines: lines)
        reset()
        return reply
    }

    private mutating func reset() {
        code = nil
        lines = []
        enhancedCode = nil
    }
}

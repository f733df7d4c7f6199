/// Errors in the byte stream of server replies.
public enum SMTPReplyParsingError: Error, Hashable, Sendable {
    /// A line did not start with three digits followed by SP, "-" or CRLF.
    case malformedLine(String)
    /// The lines of one multi-line reply carried different codes.
    case inconsistentCode(expected: Int, found: Int)
    /// A line passed `SMTPClientDefaults.maximumReplyLineLength`.
    case lineTooLong
    /// A reply passed `SMTPClientDefaults.maximumReplyLines` lines.
    case tooManyLines
}

/// Assembles replies from reply lines (RFC 5321 §4.2: multi-line replies continue with "ddd-").
struct ReplyAssembler {
    private var pendingCode: Int?
    private var pendingLines: [String] = []

    /// Whether a multi-line reply has started and not yet ended.
    var isInsideReply: Bool { pendingCode != nil }

    /// Feeds one line (CRLF removed); returns the reply when the line ends one.
    ///
    /// `Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF` (RFC 5321 §4.2)
    mutating func feed(line bytes: some Collection<UInt8>) throws(SMTPReplyParsingError) -> SMTPReply? {
        let line = Array(bytes)
        let text = String(decoding: line, as: UTF8.self)
        guard line.count >= 3, line[0...2].allSatisfy({ (0x30...0x39).contains($0) }),
            (0x32...0x35).contains(line[0])
        else { throw .malformedLine(text) }
        let code = Int(line[0] - 0x30) * 100 + Int(line[1] - 0x30) * 10 + Int(line[2] - 0x30)
        let isLast: Bool
        if line.count == 3 {
            isLast = true
        } else if line[3] == UInt8(ascii: " ") {
            isLast = true
        } else if line[3] == UInt8(ascii: "-") {
            isLast = false
        } else {
            throw .malformedLine(text)
        }
        if let pendingCode, pendingCode != code { throw .inconsistentCode(expected: pendingCode, found: code) }
        let content = line.count > 4 ? String(decoding: line[4...], as: UTF8.self) : ""
        pendingLines.append(content)
        guard pendingLines.count <= SMTPClientDefaults.maximumReplyLines else { throw .tooManyLines }
        if isLast {
            let reply = SMTPReply(code: code, lines: pendingLines)
            pendingCode = nil
            pendingLines = []
            return reply
        }
        pendingCode = code
        return nil
    }
}

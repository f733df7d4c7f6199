/// A server reply: a three-digit code and one or more text lines, exactly as the server sent them.
///
/// RFC 5321 §4.2: `Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF`.
/// Interim: SMTPCore will hold the shared reply type; this one is the client's until it lands.
public struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    /// The reply code, 200–599.
    public var code: Int
    /// The text of each line, without the code, separator or CRLF.
    public var lines: [String]

    /// Creates a reply.
    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines.isEmpty ? [""] : lines
    }

    /// Creates a one-line reply.
    public init(_ code: Int, _ text: String) {
        self.init(code: code, lines: [text])
    }

    /// 2yz: the command was accepted.
    public var isPositiveCompletion: Bool { (200..<300).contains(code) }
    /// 3yz: the server waits for more (354 after DATA, 334 during AUTH).
    public var isPositiveIntermediate: Bool { (300..<400).contains(code) }
    /// 4yz: a temporary failure; the same command may succeed later.
    public var isTransientFailure: Bool { (400..<500).contains(code) }
    /// 5yz: a permanent failure.
    public var isPermanentFailure: Bool { (500..<600).contains(code) }

    /// The enhanced status code (RFC 3463) at the start of the first line, like `5.1.1`, if the server sent one.
    public var enhancedStatusCode: String? {
        guard let first = lines.first, let token = first.split(separator: " ").first else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "\(code / 100)",
            parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) })
        else { return nil }
        return String(token)
    }

    /// The reply as the server wrote it, lines joined by CRLF.
    public var description: String {
        lines.enumerated().map { index, line in
            let separator = index == lines.count - 1 ? " " : "-"
            return line.isEmpty && index == lines.count - 1 ? "\(code)" : "\(code)\(separator)\(line)"
        }.joined(separator: "\r\n")
    }

    /// The reply on one line, for reports: code and text of every line joined by a space.
    public var singleLine: String {
        "\(code) " + lines.joined(separator: " ")
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

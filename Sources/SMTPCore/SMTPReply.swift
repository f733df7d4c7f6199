import NIOCore

/// A server reply (RFC 5321 4.2): a three-digit code, an optional enhanced status code (RFC 2034) and one
/// or more lines of text.
public struct SMTPReply: Hashable, Sendable, CustomStringConvertible {
    /// The reply code, 200…599 (and 1xx, which SMTP does not use).
    public var code: Int
    /// The enhanced status code put in front of every line; nil for the greeting, the EHLO reply and
    /// 3xx replies, which carry none (RFC 2034 3, RFC 3463 classes 2/4/5 only).
    public var enhancedCode: EnhancedStatusCode?
    /// The text lines, without code or CRLF; at least one (possibly empty).
    public var lines: [String]

    /// A reply of several lines, each cut to fit the 512-octet reply line.
    public init(code: Int, _ enhancedCode: EnhancedStatusCode? = nil, lines: [String]) {
        self.code = code
        self.enhancedCode = enhancedCode
        self.lines = lines.isEmpty ? [""] : lines.map { Self.clamped($0, enhancedCode: enhancedCode) }
    }

    /// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets, CRLF included.
    public static let maximumLineLength = 512

    /// `line` cut so that its reply line fits `maximumLineLength`, the cut marked by "...": replies that
    /// echo what a client sent (an unknown parameter's keyword) must not grow past the limit with it.
    static func clamped(_ line: String, enhancedCode: EnhancedStatusCode?) -> String {
        // "250-" or "250 ", the enhanced code and its space, CRLF.
        let room = maximumLineLength - 4 - 2 - (enhancedCode.map { $0.description.utf8.count + 1 } ?? 0)
        guard line.utf8.count > room else { return line }
        var kept = String.UnicodeScalarView()
        var length = 0
        for scalar in line.unicodeScalars {
            let size = String(scalar).utf8.count
            guard length + size <= room - 3 else { break }
            kept.append(scalar)
            length += size
        }
        return String(kept) + "..."
    }

    /// A one-line reply.
    public init(code: Int, _ enhancedCode: EnhancedStatusCode? = nil, _ text: String) {
        self.init(code: code, enhancedCode, lines: [text])
    }

    /// 2yz: the command was accepted.
    public var isPositiveCompletion: Bool { (200..<300).contains(code) }
    /// 3yz: the server waits for more (354 after DATA, 334 in AUTH).
    public var isPositiveIntermediate: Bool { (300..<400).contains(code) }
    /// 4yz: try again later.
    public var isTransientFailure: Bool { (400..<500).contains(code) }
    /// 5yz: do not repeat as is.
    public var isPermanentFailure: Bool { (500..<600).contains(code) }

    /// The text of all lines joined by newlines, without the enhanced code.
    public var text: String { lines.joined(separator: "\n") }

    /// The reply for a log line: code, enhanced code, and the lines joined by ` / `.
    public var description: String {
        let prefix = enhancedCode.map { "\(code) \($0) " } ?? "\(code) "
        return prefix + lines.joined(separator: " / ")
    }

    /// Writes the reply's lines, each ending in CRLF, to `buffer`.
    ///
    /// RFC 5321 4.2: `Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF`.
    /// The enhanced status code, when present, starts the text of every line (RFC 2034 4).
    ///
    /// Each line goes into the buffer in one write, the numbers spelled digit by digit: a reply is
    /// written four times per message on a pipelining connection, and piece by piece (a ByteBuffer
    /// call for each number, separator and text) it cost ~4,300 instructions (callgrind).
    public func encode(into buffer: inout ByteBuffer) {
        for (index, line) in lines.enumerated() {
            let separator = index == lines.count - 1 ? UInt8(ascii: " ") : UInt8(ascii: "-")
            var text = line
            text.withUTF8 { octets in
                // Each number has at most 20 characters; the rest is fixed.
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 4 * 20 + 6 + octets.count) { out in
                    var at = Self.put(code, into: out, at: 0)
                    out[at] = separator
                    at += 1
                    if let enhancedCode {
                        at = Self.put(enhancedCode.class, into: out, at: at)
                        out[at] = UInt8(ascii: ".")
                        at = Self.put(enhancedCode.subject, into: out, at: at + 1)
                        out[at] = UInt8(ascii: ".")
                        at = Self.put(enhancedCode.detail, into: out, at: at + 1)
                        if !octets.isEmpty {
                            out[at] = UInt8(ascii: " ")
                            at += 1
                        }
                    }
                    UnsafeMutableRawBufferPointer(rebasing: out[at..<(at + octets.count)]).copyMemory(
                        from: UnsafeRawBufferPointer(octets)
                    )
                    at += octets.count
                    out[at] = UInt8(ascii: "\r")
                    out[at + 1] = UInt8(ascii: "\n")
                    return at + 2
                }
            }
        }
    }

    /// Puts `value` in decimal, as `String(value)` spells it, at `start`; returns the index after it.
    private static func put(_ value: Int, into out: UnsafeMutableRawBufferPointer, at start: Int) -> Int {
        var digits = 1
        var magnitude = value.magnitude
        while magnitude >= 10 {
            magnitude /= 10
            digits += 1
        }
        var at = start
        if value < 0 {
            out[at] = UInt8(ascii: "-")
            at += 1
        }
        var rest = value.magnitude
        for position in stride(from: at + digits - 1, through: at, by: -1) {
            out[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        return at + digits
    }

    /// The reply as wire bytes.
    public var encoded: ByteBuffer {
        var buffer = ByteBuffer()
        encode(into: &buffer)
        return buffer
    }
}

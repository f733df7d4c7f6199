/// RFC 2045 6.7 quoted-printable for MIME bodies.
public enum QuotedPrintable {
    /// Encodes `bytes`.
    ///
    /// In text mode (the default) CRLF or bare LF are line breaks and come out as
    /// CRLF; in binary mode every CR and LF is encoded. Lines stay within 76 characters.
    public static func encode(_ bytes: some Collection<UInt8>, binary: Bool = false) -> [UInt8] {
        var encoder = QuotedPrintableEncoder(binary: binary)
        var output = encoder.encode(bytes)
        output.append(contentsOf: encoder.finish())
        return output
    }

    /// Decodes quoted-printable, tolerating lowercase hex, stray `=`, whitespace after a soft
    /// break and bare LF line ends (kept as LF).
    ///
    /// Never fails.
    public static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var decoder = QuotedPrintableDecoder()
        var output = decoder.decode(bytes)
        output.append(contentsOf: decoder.finish())
        return output
    }
}

/// Encodes quoted-printable chunk by chunk.
public struct QuotedPrintableEncoder: Sendable {
    /// True to encode CR and LF instead of treating them as line breaks.
    public let binary: Bool
    private var column = 0
    private var pendingWhitespace: UInt8?
    private var pendingCR = false
    /// Room on a line for text before the `=` of a soft break (RFC 2045 6.7 rule 5).
    private let maxContent = MailCoreDefaults.quotedPrintableLineLength - 1

    /// Makes an encoder; `binary` encodes line-break bytes too.
    public init(binary: Bool = false) {
        self.binary = binary
    }

    /// Encodes the next chunk.
    ///
    /// Trailing whitespace and a final CR wait for the next chunk, because
    /// what follows them decides how they are written.
    public mutating func encode(_ chunk: some Collection<UInt8>) -> [UInt8] {
        if let output = chunk.withContiguousStorageIfAvailable({ encode(buffer: $0) }) { return output }
        return Array(chunk).withUnsafeBufferPointer { encode(buffer: $0) }
    }

    private mutating func encode(buffer chunk: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(chunk.count + chunk.count / 8 + 8)
        for byte in chunk { process(byte, into: &output) }
        return output
    }

    /// Writes whatever is pending.
    ///
    /// The output does not end in a line break unless the input did.
    public mutating func finish() -> [UInt8] {
        var output: [UInt8] = []
        if let whitespace = pendingWhitespace {
            // RFC 2045 6.7 rule 3: whitespace at the end of the data is encoded.
            pendingWhitespace = nil
            emitEncoded(whitespace, into: &output)
        }
        if pendingCR {
            pendingCR = false
            emitEncoded(ASCII.cr, into: &output)
        }
        return output
    }

    private mutating func process(_ byte: UInt8, into output: inout [UInt8]) {
        if binary {
            if byte == ASCII.space || byte == ASCII.tab || byte == ASCII.equals || byte < 32 || byte > 126 {
                emitEncoded(byte, into: &output)
            } else {
                emitLiteral(byte, into: &output)
            }
            return
        }
        if pendingCR {
            pendingCR = false
            if byte == ASCII.lf {
                hardBreak(into: &output)
                return
            }
            flushWhitespaceLiteral(into: &output)
            emitEncoded(ASCII.cr, into: &output)
        }
        switch byte {
        case ASCII.cr:
            pendingCR = true
        case ASCII.lf:
            hardBreak(into: &output)
        case ASCII.space, ASCII.tab:
            flushWhitespaceLiteral(into: &output)
            pendingWhitespace = byte
        default:
            flushWhitespaceLiteral(into: &output)
            if byte == ASCII.equals || byte < 32 || byte > 126 {
                emitEncoded(byte, into: &output)
            } else {
                emitLiteral(byte, into: &output)
            }
        }
    }

    /// A line break in the text: whitespace before it must be encoded (rule 3), then CRLF.
    private mutating func hardBreak(into output: inout [UInt8]) {
        if let whitespace = pendingWhitespace {
            pendingWhitespace = nil
            emitEncoded(whitespace, into: &output)
        }
        output.append(ASCII.cr)
        output.append(ASCII.lf)
        column = 0
    }

    private mutating func flushWhitespaceLiteral(into output: inout [UInt8]) {
        if let whitespace = pendingWhitespace {
            pendingWhitespace = nil
            emitLiteral(whitespace, into: &output)
        }
    }

    private mutating func emitLiteral(_ byte: UInt8, into output: inout [UInt8]) {
        softBreakIfNeeded(for: 1, into: &output)
        output.append(byte)
        column += 1
    }

    private mutating func emitEncoded(_ byte: UInt8, into output: inout [UInt8]) {
        softBreakIfNeeded(for: 3, into: &output)
        output.append(ASCII.equals)
        output.append(ASCII.hexDigit(byte >> 4))
        output.append(ASCII.hexDigit(byte & 0x0F))
        column += 3
    }

    private mutating func softBreakIfNeeded(for width: Int, into output: inout [UInt8]) {
        if column + width > maxContent {
            output.append(ASCII.equals)
            output.append(ASCII.cr)
            output.append(ASCII.lf)
            column = 0
        }
    }
}

/// Decodes quoted-printable chunk by chunk; works a line at a time, so only the current
/// unfinished line is buffered.
public struct QuotedPrintableDecoder: Sendable {
    private var partialLine: [UInt8] = []

    /// Makes a decoder.
    public init() {}

    /// Decodes the complete lines in `chunk`; the unfinished last line waits for more.
    public mutating func decode(_ chunk: some Collection<UInt8>) -> [UInt8] {
        if let output = chunk.withContiguousStorageIfAvailable({ decode(buffer: $0) }) { return output }
        return Array(chunk).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    private mutating func decode(buffer chunk: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(chunk.count + partialLine.count)
        var lineStart = 0
        for index in chunk.indices where chunk[index] == ASCII.lf {
            if partialLine.isEmpty {
                Self.decodeLine(UnsafeBufferPointer(rebasing: chunk[lineStart...index]), into: &output)
            } else {
                partialLine.append(contentsOf: chunk[lineStart...index])
                partialLine.withUnsafeBufferPointer { Self.decodeLine($0, into: &output) }
                partialLine.removeAll(keepingCapacity: true)
            }
            lineStart = index + 1
        }
        partialLine.append(contentsOf: chunk[lineStart...])
        return output
    }

    /// Decodes the last line.
    public mutating func finish() -> [UInt8] {
        var output: [UInt8] = []
        partialLine.withUnsafeBufferPointer { Self.decodeLine($0, into: &output) }
        partialLine.removeAll()
        return output
    }

    /// Decodes one line, its line break (if any) included.
    static func decodeLine(_ line: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        var end = line.endIndex
        var hasLF = false
        var hasCR = false
        if end > line.startIndex, line[end - 1] == ASCII.lf {
            end -= 1
            hasLF = true
            if end > line.startIndex, line[end - 1] == ASCII.cr {
                end -= 1
                hasCR = true
            }
        }
        // RFC 2045 6.7 rule 3: whitespace at the end of an encoded line is transport padding.
        while end > line.startIndex, ASCII.isWhitespace(line[end - 1]) { end -= 1 }
        var soft = false
        if end > line.startIndex, line[end - 1] == ASCII.equals {
            end -= 1
            soft = true
        }
        var index = line.startIndex
        while index < end {
            let byte = line[index]
            if byte == ASCII.equals, index + 2 < end,
                let high = ASCII.hexValue(line[index + 1]), let low = ASCII.hexValue(line[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        if !soft, hasLF {
            if hasCR { output.append(ASCII.cr) }
            output.append(ASCII.lf)
        }
    }
}

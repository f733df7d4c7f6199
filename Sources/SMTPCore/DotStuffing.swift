import NIOCore

/// RFC 5321 §4.5.2 transparency (dot-stuffing), streaming in both directions.
///
/// RFC 5321 4.5.2 transparency, in a streaming form. Sending, a "." is added in front of every line that
/// starts with one and the data ends with `CRLF.CRLF`; receiving, the line `.` ends the data and one
/// leading "." is removed from any other line. Only CRLF ends a line: a bare LF is data (which is what
/// keeps `LF.LF` from ending a message — SMTP smuggling).
public enum DotStuffing {
    /// What one received line of DATA means.
    public enum Line: Equatable {
        /// The terminating `.` line.
        case endOfData
        /// A line of the message, without its CRLF, the transparency dot removed.
        case text(ByteBuffer)
    }

    /// Decodes one line received in DATA (framed on CRLF, without it).
    public static func unstuff(_ line: ByteBuffer) -> Line {
        guard line.readableBytes > 0, line.getInteger(at: line.readerIndex, as: UInt8.self) == UInt8(ascii: ".") else {
            return .text(line)
        }
        if line.readableBytes == 1 { return .endOfData }
        return .text(line.getSlice(at: line.readerIndex + 1, length: line.readableBytes - 1) ?? line)
    }
}

/// Dot-stuffs a message given in chunks of any size, for sending with DATA; chunk boundaries may fall
/// anywhere, even between CR and LF.
public struct DotStuffingEncoder: Sendable {
    /// Whether the next octet starts a line.
    private var atLineStart = true
    /// Whether the last octet written was CR.
    private var afterCR = false

    /// An encoder at the start of the data.
    public init() {}

    /// Appends `chunk`, stuffed, to `output`.
    public mutating func encode(_ chunk: ByteBuffer, into output: inout ByteBuffer) {
        chunk.withUnsafeReadableBytes { bytes in
            var runStart = 0
            for (offset, byte) in bytes.enumerated() {
                if atLineStart, byte == UInt8(ascii: ".") {
                    output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<offset]))
                    output.writeInteger(UInt8(ascii: "."))
                    runStart = offset
                }
                atLineStart = afterCR && byte == UInt8(ascii: "\n")
                afterCR = byte == UInt8(ascii: "\r")
            }
            output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart...]))
        }
    }

    /// Ends the data: a CRLF if the message did not end with one, then `.CRLF`.
    public mutating func finish(into output: inout ByteBuffer) {
        if !atLineStart { output.writeStaticString("\r\n") }
        output.writeStaticString(".\r\n")
        atLineStart = true
        afterCR = false
    }
}

import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits received bytes into SMTP lines.
///
/// Only CRLF ends a line (RFC 5321 2.3.8): a bare LF or CR stays inside the line as data. Lines longer than the limit
/// are not kept in memory: their octets are discarded up to the next CRLF and reported as `.tooLong`, so the session
/// can answer and carry on. It also hands out raw octet counts, for BDAT chunks (RFC 3030).
public struct SMTPLineFramer: Sendable {
    /// What the framer found next.
    public enum Frame: Equatable, Sendable {
        /// A line without its CRLF.
        case line(ByteBuffer)
        /// A line longer than the limit (CRLF included) was read and thrown away.
        case tooLong
    }

    /// The longest line accepted, CRLF included.
    public var maximumLineLength: Int
    private var buffer = ByteBuffer()
    private var discarding = false

    /// A framer with no data yet, refusing lines longer than `maximumLineLength` (CRLF included).
    public init(maximumLineLength: Int = SMTPDefaults.textLineLength) {
        self.maximumLineLength = maximumLineLength
    }

    /// Octets received and not yet framed.
    public var bufferedByteCount: Int { buffer.readableBytes }

    /// Adds received octets.
    public mutating func append(_ bytes: ByteBuffer) {
        if buffer.readableBytes == 0 {
            buffer = bytes
        } else {
            var bytes = bytes
            buffer.discardReadBytes()
            buffer.writeBuffer(&bytes)
        }
    }

    /// Throws away everything received and not yet framed (after STARTTLS, RFC 3207 4.2).
    public mutating func discardBuffered() {
        buffer.clear()
        discarding = false
    }

    /// The next whole line, or nil when more octets are needed.
    public mutating func nextLine() -> Frame? {
        while true {
            guard let lineFeed = nextLineEnd() else {
                if discarding || buffer.readableBytes >= maximumLineLength {
                    // Keep a trailing CR: with an LF in the next read it ends the over-long line.
                    let keep =
                        buffer.readableBytes > 0
                            && buffer.getInteger(
                                at: buffer.writerIndex - 1,
                                as: UInt8.self
                            ) == UInt8(ascii: "\r") ? 1 : 0
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes - keep)
                    buffer.discardReadBytes()
                    discarding = true
                }
                return nil
            }
            let total = lineFeed + 1
            if discarding || total > maximumLineLength {
                buffer.moveReaderIndex(forwardBy: total)
                discarding = false
                return .tooLong
            }
            guard let line = buffer.readSlice(length: total - 2) else { return nil }
            buffer.moveReaderIndex(forwardBy: 2)
            return .line(line)
        }
    }

    /// Whole lines from the front, as one slice with their CRLFs.
    ///
    /// The slice ends before the first line that starts with "." or is longer than the limit, or after the
    /// last whole line buffered. Nil when the first line is such a line, or not whole yet: then `nextLine()`
    /// frames it.
    ///
    /// For DATA, where nearly every line is plain text (RFC 5321 4.5.2: only a leading "." needs unstuffing or
    /// ends the message): such lines go to the message as they arrived, a block at a time, where framing
    /// them one by one cost more than everything else done with a large message.
    public mutating func nextPlainLines() -> ByteBuffer? {
        guard !discarding else { return nil }
        let limit = maximumLineLength
        let end = buffer.withUnsafeReadableBytes { bytes -> Int in
            guard let base = bytes.baseAddress else { return 0 }
            var accepted = 0
            var searchFrom = 0
            while accepted < bytes.count, bytes[accepted] != UInt8(ascii: ".") {
                guard let found = memchr(base + searchFrom, 0x0A, bytes.count - searchFrom) else { break }
                let lineFeed = base.distance(to: UnsafeRawPointer(found))
                if lineFeed + 1 - accepted > limit { break }
                searchFrom = lineFeed + 1
                // A bare LF is data inside the line (RFC 5321 2.3.8): only CRLF ends it.
                if lineFeed > accepted, bytes[lineFeed - 1] == 0x0D { accepted = lineFeed + 1 }
            }
            return accepted
        }
        guard end > 0 else { return nil }
        return buffer.readSlice(length: end)
    }

    /// Up to `maximum` raw octets (at least one), or nil when none are buffered.
    public mutating func nextBytes(maximum: Int) -> ByteBuffer? {
        guard maximum > 0, buffer.readableBytes > 0 else { return nil }
        return buffer.readSlice(length: min(maximum, buffer.readableBytes))
    }

    /// Offset (from the reader index) of the LF of the first CRLF, if any.
    private func nextLineEnd() -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard let base = bytes.baseAddress else { return nil }
            var offset = 0
            while offset < bytes.count {
                guard let found = memchr(base + offset, 0x0A, bytes.count - offset) else { return nil }
                let position = base.distance(to: UnsafeRawPointer(found))
                if position > 0, bytes[position - 1] == 0x0D { return position }
                offset = position + 1
            }
            return nil
        }
    }
}

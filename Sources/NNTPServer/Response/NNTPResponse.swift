import Foundation

/// Encodes RFC 3977 §3.1 responses: a status line `code SP text CRLF`, and for multi-line ones the
/// data block, dot-stuffed (§3.1.1), ending with `.` CRLF.
public enum NNTPResponse {
    /// A status line; CR and LF in `text` become spaces, so nothing a client or an article supplied
    /// can end the line early and forge a response.
    public static func status(_ code: Int, _ text: String) -> [UInt8] {
        Array("\(code) ".utf8) + oneLine(text) + [0x0D, 0x0A]
    }

    private static func oneLine(_ text: String) -> [UInt8] {
        text.utf8.map { $0 == 0x0D || $0 == 0x0A ? 0x20 : $0 }
    }

    /// A status line and a data block of `lines` (each without CRLF; any CR or LF becomes a space).
    public static func multiline(_ code: Int, _ text: String, lines: [String]) -> [UInt8] {
        var out = status(code, text)
        for line in lines {
            if line.hasPrefix(".") { out.append(UInt8(ascii: ".")) }
            out += oneLine(line)
            out += [0x0D, 0x0A]
        }
        out += Array(".\r\n".utf8)
        return out
    }

    /// A status line and `content` as a data block: bare LFs become CRLF, lines starting with `.`
    /// get a second one, and a last line without its CRLF gets one.
    public static func multiline(_ code: Int, _ text: String, content: some Collection<UInt8>) -> [UInt8] {
        var out = status(code, text)
        out.reserveCapacity(out.count + content.count + content.count / 40 + 5)
        appendDotStuffed(content, to: &out)
        out += Array(".\r\n".utf8)
        return out
    }

    /// Dot-stuffs `content` into `out`, line ends made CRLF, the last line terminated.
    ///
    /// Contiguous bytes (an article as read, or a slice of it) go a line at a time, found with
    /// `memchr` and copied whole: ARTICLE spends its time here otherwise, a byte at a time.
    static func appendDotStuffed(_ content: some Collection<UInt8>, to out: inout [UInt8]) {
        let done: Void? = content.withContiguousStorageIfAvailable { buffer in
            appendDotStuffedLines(buffer, to: &out)
        }
        if done == nil { appendDotStuffedBytes(content, to: &out) }
    }

    private static func appendDotStuffedLines(_ buffer: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        guard let base = buffer.baseAddress else { return }
        let count = buffer.count
        var start = 0
        while start < count {
            if base[start] == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            var end = count
            if let found = memchr(base + start, 0x0A, count - start) {
                end = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
            }
            let line = UnsafeBufferPointer(start: base + start, count: end - start)
            out.append(contentsOf: line)
            if end == count {
                // The last line, unterminated: end it (after a lone CR, with LF only, as byte by byte).
                if base[count - 1] != 0x0D { out.append(0x0D) }
                out.append(0x0A)
            } else {
                if end == start || base[end - 1] != 0x0D { out.append(0x0D) }
                out.append(0x0A)
            }
            start = end + 1
        }
    }

    private static func appendDotStuffedBytes(_ content: some Collection<UInt8>, to out: inout [UInt8]) {
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in content {
            if atLineStart, byte == UInt8(ascii: ".") { out.append(byte) }
            if byte == 0x0A, previous != 0x0D { out.append(0x0D) }
            out.append(byte)
            atLineStart = byte == 0x0A
            previous = byte
        }
        if !atLineStart {
            if previous != 0x0D { out.append(0x0D) }
            out.append(0x0A)
        }
    }
}

/// Chooses and applies a Content-Transfer-Encoding for built parts.
enum BodyEncoding {
    /// Text bodies: line ends become CRLF; 7bit when ASCII with lines within 998 octets,
    /// quoted-printable when mostly ASCII, base64 otherwise.
    static func encodeText(_ text: String) -> (encoding: ContentTransferEncoding, body: [UInt8]) {
        let bytes = LineEnds.crlfLineBreaks(Array(text.utf8))
        let nonASCII = bytes.reduce(0) { $0 + ($1 >= 0x80 ? 1 : 0) }
        let controls = bytes.contains {
            ($0 < 0x20 && $0 != ASCII.cr && $0 != ASCII.lf && $0 != ASCII.tab) || $0 == 0x7F
        }
        if nonASCII == 0, !controls, longestLine(bytes) <= MailCoreDefaults.maxLineLength {
            return (.sevenBit, bytes)
        }
        if nonASCII * 3 < bytes.count {
            return (.quotedPrintable, QuotedPrintable.encode(bytes))
        }
        return (.base64, Base64.encode(bytes))
    }

    /// Attachments must decode byte-exact: 7bit only when already CRLF-only ASCII text with short lines,
    /// base64 otherwise.
    static func encodeData(_ data: [UInt8]) -> (encoding: ContentTransferEncoding, body: [UInt8]) {
        var previous: UInt8 = 0
        var lineLength = 0
        var isSevenBit = !data.isEmpty
        for (index, byte) in data.enumerated() {
            if byte == ASCII.lf {
                if previous != ASCII.cr { isSevenBit = false }
                lineLength = 0
            } else if byte == ASCII.cr {
                if index + 1 >= data.count || data[index + 1] != ASCII.lf { isSevenBit = false }
            } else {
                lineLength += 1
                if byte >= 0x7F || (byte < 0x20 && byte != ASCII.tab) || lineLength > MailCoreDefaults.maxLineLength {
                    isSevenBit = false
                }
            }
            if !isSevenBit { break }
            previous = byte
        }
        // A last line without CRLF would gain one in transit; keep such data exact with base64.
        if isSevenBit, data.last == ASCII.lf {
            return (.sevenBit, data)
        }
        return (.base64, Base64.encode(data))
    }

    static func longestLine(_ bytes: [UInt8]) -> Int {
        var longest = 0
        var current = 0
        for byte in bytes {
            if byte == ASCII.lf || byte == ASCII.cr {
                current = 0
            } else {
                current += 1
                longest = max(longest, current)
            }
        }
        return longest
    }
}

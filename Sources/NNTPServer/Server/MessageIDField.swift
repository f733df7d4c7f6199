/// The Message-ID of an article for the status line of ARTICLE, HEAD, BODY and STAT, found without
/// parsing the whole header: the same value as
/// `MessageHeader.parse(bytes).header.field(named: "Message-ID")` unfolded and `Overview.clean`ed
/// (the first such field; nil when there is none), but with one allocation instead of a string and
/// an array per field, for an answer given on the event loop.
enum MessageIDField {
    private static let name = Array("message-id".utf8)
    private static let lf: UInt8 = 0x0A
    private static let cr: UInt8 = 0x0D
    private static let tab: UInt8 = 0x09
    private static let space: UInt8 = 0x20

    private static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    private static func lowercased(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    /// The cleaned value of the first Message-ID field of `article`'s header section, or nil.
    static func value(in article: [UInt8]) -> String? {
        article.withUnsafeBufferPointer { buffer in
            var index = 0
            while index < buffer.count {
                // RFC 5322 2.1: an empty line (CRLF or a bare LF) ends the header section.
                let first = buffer[index]
                if first == lf || (first == cr && index + 1 < buffer.count && buffer[index + 1] == lf) {
                    return nil
                }
                let end = lineEnd(buffer, from: index)
                // A field begins on a line that does not start with whitespace (2.2.3: those continue one).
                if !isWhitespace(first), let colon = colonAfterName(buffer, from: index, lineEnd: end) {
                    return String(
                        decoding: unfolded(buffer, from: colon + 1, fieldEnd: fieldEnd(buffer, after: end)),
                        as: UTF8.self
                    )
                }
                index = end
            }
            return nil
        }
    }

    /// Just past the LF ending the line at `start`, or the end.
    private static func lineEnd(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        while index < buffer.count {
            if buffer[index] == lf { return index + 1 }
            index += 1
        }
        return buffer.count
    }

    /// The colon's position when the line is `Message-ID` (any case), optional space or tab, `:`.
    private static func colonAfterName(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int, lineEnd: Int) -> Int? {
        guard lineEnd - start > name.count else { return nil }
        for (offset, byte) in name.enumerated() where lowercased(buffer[start + offset]) != byte {
            return nil
        }
        var index = start + name.count
        while index < lineEnd, isWhitespace(buffer[index]) { index += 1 }
        return index < lineEnd && buffer[index] == UInt8(ascii: ":") ? index : nil
    }

    /// Where the field whose first line ends at `firstLineEnd` ends: before the next line that does
    /// not start with whitespace, or before the empty line.
    private static func fieldEnd(_ buffer: UnsafeBufferPointer<UInt8>, after firstLineEnd: Int) -> Int {
        var index = firstLineEnd
        while index < buffer.count, isWhitespace(buffer[index]) { index = lineEnd(buffer, from: index) }
        return index
    }

    /// The value from `start` to `fieldEnd` without its line breaks, trimmed, tabs made spaces.
    private static func unfolded(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int, fieldEnd: Int) -> [UInt8] {
        var value: [UInt8] = []
        value.reserveCapacity(fieldEnd - start)
        for index in start..<fieldEnd where buffer[index] != cr && buffer[index] != lf {
            value.append(buffer[index] == tab ? space : buffer[index])
        }
        while let last = value.last, last == space { value.removeLast() }
        let leading = value.prefix { $0 == space }.count
        return leading == 0 ? value : Array(value[leading...])
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The result of parsing a header: the fields and where the body starts.
public struct ParsedHeader: Sendable, Hashable {
    /// The header's fields.
    public var header: MessageHeader
    /// Index (in the parsed collection's own indices) of the first body byte, just after the blank
    /// line; the end index when there is no blank line (then everything was header).
    public var bodyStart: Int
}

extension MessageHeader {
    /// Parses an RFC 5322 header (section 2.2) from the start of `bytes`.
    ///
    /// Lines end in CRLF or bare LF. A line starting with space or tab continues the previous field
    /// (2.2.3). Parsing stops after the first empty line; with none, all bytes are header. A line with
    /// no colon is kept as a malformed field so nothing is lost. Offsets are indices of `bytes`.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> ParsedHeader {
        let base = bytes.startIndex
        return bytes.withUnsafeBufferPointer { buffer in
            parse(buffer: buffer, base: base)
        }
    }

    /// Parses a header from memory someone else owns; offsets in the result are buffer positions
    /// plus `base`.
    public static func parse(buffer: UnsafeBufferPointer<UInt8>, base: Int = 0) -> ParsedHeader {
        var parser = HeaderScanner(buffer: buffer, base: base)
        return parser.run()
    }

    /// Parses an RFC 5322 header from the start of `bytes`; see `parse(_:)` for slices.
    public static func parse(_ bytes: [UInt8]) -> ParsedHeader {
        parse(bytes[...])
    }

    /// The fields called `name` (ASCII case-insensitively) in the header at the start of `bytes`, as
    /// `parse(_:)` would find them, in order.
    ///
    /// Other fields are skipped without being copied: one SEARCH key reads one field of thousands of
    /// headers, and making every field's name and value first cost more than the search itself.
    public static func fields(named name: String, in bytes: [UInt8]) -> [HeaderField] {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = HeaderScanner(buffer: buffer, base: 0, only: [name])
            return parser.run().header.fields
        }
    }

    /// The lines of the fields called one of `names` (ASCII case-insensitively; "" for lines that are
    /// not fields), continuation lines included, exactly as they stand in the header at the start of
    /// `buffer`, in order, without the blank line.
    ///
    /// For the fields of a header to be searched elsewhere: `fields(named:in:)` and `parse` find in these
    /// lines what they find in the whole header for any of `names`, and only these bytes are copied.
    public static func fieldLines(named names: [String], in buffer: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var parser = HeaderScanner(buffer: buffer, base: 0, only: names)
        var lines: [UInt8] = []
        for field in parser.run().header.fields {
            lines.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[field.range]))
        }
        return lines
    }
}

/// Walks header lines over a buffer without copying anything but each field's own bytes.
private struct HeaderScanner {
    let buffer: UnsafeBufferPointer<UInt8>
    let base: Int
    /// When set, the only field names kept; every other field is skipped.
    let only: [String]?
    var fields: [HeaderField] = []
    var fieldStart = -1

    init(buffer: UnsafeBufferPointer<UInt8>, base: Int, only: [String]? = nil) {
        self.buffer = buffer
        self.base = base
        self.only = only
    }

    mutating func run() -> ParsedHeader {
        let count = buffer.count
        var index = 0
        var bodyStart = count
        while index < count {
            let first = buffer[index]
            if first == ASCII.lf {
                bodyStart = index + 1
                break
            }
            if first == ASCII.cr, index + 1 < count, buffer[index + 1] == ASCII.lf {
                bodyStart = index + 2
                break
            }
            let next = lineEnd(from: index)
            if !(ASCII.isWhitespace(first) && fieldStart >= 0) {
                finishField(end: index)
                fieldStart = index
            }
            index = next
        }
        finishField(end: min(index, count))
        return ParsedHeader(header: MessageHeader(fields: fields), bodyStart: base + bodyStart)
    }

    /// Index just past the LF that ends the line starting at `start`, or the buffer end.
    func lineEnd(from start: Int) -> Int {
        // memchr: the C library's search reads many bytes a step, a loop here one.
        guard start < buffer.count, let base = buffer.baseAddress,
            let found = memchr(base + start, Int32(ASCII.lf), buffer.count - start)
        else { return buffer.count }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
    }

    mutating func finishField(end: Int) {
        guard fieldStart >= 0, end > fieldStart else { return }
        defer { fieldStart = -1 }
        var contentEnd = end
        if contentEnd > fieldStart, buffer[contentEnd - 1] == ASCII.lf { contentEnd -= 1 }
        if contentEnd > fieldStart, buffer[contentEnd - 1] == ASCII.cr { contentEnd -= 1 }
        let range = (base + fieldStart)..<(base + end)
        // RFC 5322 3.6.8: field-name = 1*ftext (printable ASCII except colon); obs-optional
        // (4.5) allows whitespace before the colon.
        var colon = fieldStart
        var nameIsValid = true
        while colon < contentEnd, buffer[colon] != ASCII.colon {
            let byte = buffer[colon]
            if byte < 33 || byte > 126 {
                if !ASCII.isWhitespace(byte) { nameIsValid = false }
            } else if colon > fieldStart, ASCII.isWhitespace(buffer[colon - 1]) {
                nameIsValid = false  // a space inside the name: this is not a field
            }
            colon += 1
        }
        var nameEnd = colon
        while nameEnd > fieldStart, ASCII.isWhitespace(buffer[nameEnd - 1]) { nameEnd -= 1 }
        let isField =
            colon < contentEnd && nameIsValid && nameEnd > fieldStart && !ASCII.isWhitespace(buffer[fieldStart])
        if let only {
            // A malformed line has the empty name, as in `HeaderField.hasName`.
            let name = UnsafeBufferPointer(rebasing: buffer[fieldStart..<nameEnd])
            let wanted = isField ? only.contains { name.equalsCaseInsensitive($0) } : only.contains("")
            guard wanted else { return }
        }
        if isField {
            let name = String(decoding: UnsafeBufferPointer(rebasing: buffer[fieldStart..<nameEnd]), as: UTF8.self)
            let value = Array(UnsafeBufferPointer(rebasing: buffer[(colon + 1)..<contentEnd]))
            fields.append(HeaderField(name: name, rawValue: value, range: range))
        } else {
            let line = Array(UnsafeBufferPointer(rebasing: buffer[fieldStart..<contentEnd]))
            fields.append(HeaderField(name: "", rawValue: line, range: range))
        }
    }
}

import MailCore

/// A message's header fields as the octets that came, and where its body starts.
///
/// This is what DKIM signs and checks, and what Authentication-Results stripping cuts. Never a String round trip: a
/// field's octets are kept exactly (folding, case, 8-bit text), as the simple canonicalisation needs them.
public struct MessageFields: Sendable {
    /// One header field: its name as written and its full octets, folding and final CRLF included.
    public struct Field: Sendable {
        /// The name before the colon, as written.
        public var name: String
        /// The whole field, name to the CRLF that ends its last line.
        public var bytes: [UInt8]

        /// The octets after the colon, up to (not including) the final CRLF.
        public var value: ArraySlice<UInt8> {
            let colon = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.endIndex
            var end = bytes.endIndex
            if bytes.last == 0x0A { end -= 1 }
            if end > colon, bytes[end - 1] == 0x0D { end -= 1 }
            return bytes[min(colon + 1, end)..<end]
        }

        /// Whether the field is called `other` (field names compare without case, RFC 5322 §1.2.2).
        public func isNamed(_ other: String) -> Bool { name.lowercased() == other.lowercased() }
    }

    /// The header fields, top first.
    public var fields: [Field]
    /// The body: everything after the empty line that ends the header (CRLF line ends).
    public var body: ArraySlice<UInt8>

    /// Splits `message` into its header fields and its body.
    ///
    /// Bare LFs are made CRLF first (DKIM works on the SMTP form, RFC 6376 §5.3).
    /// Octets before the first field that do not form one (a continuation line at the very top) are
    /// dropped with it, as no field can hold them.
    public init(_ message: [UInt8]) {
        let bytes = LineEnds.hasBareLineBreak(message) ? LineEnds.crlfLineBreaks(message) : message
        let headerLength = LineEnds.headerLength(bytes)
        var fields: [Field] = []
        var lineStart = 0
        while lineStart < headerLength {
            var lineEnd = lineStart
            while lineEnd < headerLength, bytes[lineEnd] != 0x0A { lineEnd += 1 }
            lineEnd = min(lineEnd + 1, headerLength)
            let line = bytes[lineStart..<lineEnd]
            if line.elementsEqual([13, 10]) { break }  // the empty line that ends the header
            if let first = line.first, first == 0x20 || first == 0x09 {
                if !fields.isEmpty { fields[fields.count - 1].bytes += line }
            } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                let name = String(decoding: bytes[lineStart..<colon], as: UTF8.self)
                    .trimmingTrailingBlanks()
                fields.append(Field(name: name, bytes: Array(line)))
            }
            lineStart = lineEnd
        }
        self.fields = fields
        self.body = bytes[min(headerLength, bytes.count)...]
    }

    /// The fields called `name`, top first.
    public func fields(named name: String) -> [Field] { fields.filter { $0.isNamed(name) } }

    /// The message again: the fields in order, the empty line, the body.
    public var bytes: [UInt8] { fields.flatMap(\.bytes) + [13, 10] + body }
}

extension String {
    /// The text without spaces and tabs at its end (a field name may be followed by WSP before the colon
    /// in obsolete syntax, RFC 5322 §4.5).
    func trimmingTrailingBlanks() -> String {
        var text = Substring(self)
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}

/// One RFC 5322 header field: `name ":" value CRLF`, possibly folded over several lines.
///
/// The value is kept exactly as it came on the wire (`rawValue`, folding included, RFC 6532 UTF-8
/// bytes untouched); `unfoldedValue` and `value` are views for reading.
public struct HeaderField: Sendable, Hashable {
    /// The field name as written, without the whitespace that obsolete syntax allows before the colon
    /// (RFC 5322 4.5).
    ///
    /// Empty for a line that is not a field (no colon, or a stray continuation).
    public let name: String

    /// The bytes after the colon up to, not including, the line break that ends the field:
    /// leading space and folding line breaks are kept.
    ///
    /// For a malformed line, the whole line.
    public let rawValue: [UInt8]

    /// Where the whole field, from its name through its last line break, lies in the parsed bytes.
    ///
    /// Empty (`0..<0`) for fields made in code.
    public let range: Range<Int>

    /// Makes a field from a name and the value bytes that follow the colon, exactly as on the wire.
    public init(name: String, rawValue: [UInt8], range: Range<Int> = 0..<0) {
        self.name = name
        self.rawValue = rawValue
        self.range = range
    }

    /// Makes a field for writing: the value gets one leading space and must already be encoded and
    /// folded (see `EncodedWord` and `HeaderFolding`).
    public init(name: String, value: String) {
        self.name = name
        self.rawValue = [ASCII.space] + Array(value.utf8)
        self.range = 0..<0
    }

    /// True when the line had no field name (kept so the header's bytes survive unchanged).
    public var isMalformed: Bool { name.isEmpty }

    /// True when the field's name is `other`, compared ASCII case-insensitively (RFC 5322 1.2.2).
    @inlinable public func hasName(_ other: String) -> Bool {
        name.utf8.equalsCaseInsensitive(other)
    }

    /// RFC 5322 2.2.3: the value with each line break that precedes whitespace removed, and leading
    /// and trailing whitespace trimmed.
    ///
    /// Bytes are not decoded (encoded words stay as they are).
    public var unfoldedValue: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(rawValue.count)
        for byte in rawValue where byte != ASCII.cr && byte != ASCII.lf {
            result.append(byte)
        }
        return Array(result[...].trimmingWhitespace())
    }

    /// The unfolded value as text (UTF-8, invalid bytes replaced).
    ///
    /// Encoded words are not decoded:
    /// use `decodedValue` for unstructured fields such as Subject.
    public var value: String { String(utf8Bytes: unfoldedValue) }

    /// The unfolded value with RFC 2047 encoded words decoded, for unstructured fields.
    public var decodedValue: String { EncodedWord.decode(unfoldedValue) }

    /// The field as it goes on the wire: `name:rawValue` and CRLF.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count + rawValue.count + 3)
        if !isMalformed {
            bytes.append(contentsOf: name.utf8)
            bytes.append(ASCII.colon)
        }
        bytes.append(contentsOf: rawValue)
        bytes.append(ASCII.cr)
        bytes.append(ASCII.lf)
        return bytes
    }
}

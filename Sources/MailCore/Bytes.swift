/// Byte constants and small byte-level helpers shared by the parsers.
@usableFromInline
enum ASCII {
    @usableFromInline static let tab: UInt8 = 0x09
    @usableFromInline static let lf: UInt8 = 0x0A
    @usableFromInline static let cr: UInt8 = 0x0D
    @usableFromInline static let space: UInt8 = 0x20
    @usableFromInline static let quote: UInt8 = 0x22
    @usableFromInline static let percent: UInt8 = 0x25
    @usableFromInline static let apostrophe: UInt8 = 0x27
    @usableFromInline static let openParen: UInt8 = 0x28
    @usableFromInline static let closeParen: UInt8 = 0x29
    @usableFromInline static let asterisk: UInt8 = 0x2A
    @usableFromInline static let comma: UInt8 = 0x2C
    @usableFromInline static let hyphen: UInt8 = 0x2D
    @usableFromInline static let dot: UInt8 = 0x2E
    @usableFromInline static let slash: UInt8 = 0x2F
    @usableFromInline static let colon: UInt8 = 0x3A
    @usableFromInline static let semicolon: UInt8 = 0x3B
    @usableFromInline static let lessThan: UInt8 = 0x3C
    @usableFromInline static let equals: UInt8 = 0x3D
    @usableFromInline static let greaterThan: UInt8 = 0x3E
    @usableFromInline static let question: UInt8 = 0x3F
    @usableFromInline static let at: UInt8 = 0x40
    @usableFromInline static let openBracket: UInt8 = 0x5B
    @usableFromInline static let backslash: UInt8 = 0x5C
    @usableFromInline static let closeBracket: UInt8 = 0x5D
    @usableFromInline static let underscore: UInt8 = 0x5F

    /// RFC 5234 WSP: space or horizontal tab.
    @inlinable static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// Whitespace including line ends, for tolerant trimming.
    @inlinable static func isWhitespaceOrNewline(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || byte == cr || byte == lf
    }

    @inlinable static func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }

    @inlinable static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    @inlinable static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// Value of a hexadecimal digit (either case), or nil.
    @inlinable static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    /// Upper-case hexadecimal digit for a nibble.
    @inlinable static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x41 + nibble - 10
    }
}

extension Collection where Element == UInt8 {
    /// ASCII case-insensitive comparison with a string literal that is itself ASCII.
    @inlinable func equalsCaseInsensitive(_ other: String) -> Bool {
        // Lengths first: a header field looked up by name is compared with every field before it,
        // most of another length (3.2 % of a never-opened folder's FETCH BODYSTRUCTURE ENVELOPE went
        // to comparing them byte by byte). Both counts are O(1) for a String's UTF-8 and an array.
        guard count == other.utf8.count else { return false }
        var utf8 = other.utf8.makeIterator()
        for byte in self {
            guard let expected = utf8.next(), ASCII.lowercased(byte) == ASCII.lowercased(expected) else {
                return false
            }
        }
        return utf8.next() == nil
    }

    /// ASCII case-insensitive prefix check.
    @inlinable func hasPrefixCaseInsensitive(_ prefix: String) -> Bool {
        var iterator = makeIterator()
        for expected in prefix.utf8 {
            guard let byte = iterator.next(), ASCII.lowercased(byte) == ASCII.lowercased(expected) else {
                return false
            }
        }
        return true
    }
}

extension ArraySlice where Element == UInt8 {
    /// The slice without leading and trailing space, tab, CR and LF.
    @inlinable func trimmingWhitespace() -> ArraySlice<UInt8> {
        var start = startIndex
        var end = endIndex
        while start < end, ASCII.isWhitespaceOrNewline(self[start]) { start += 1 }
        while end > start, ASCII.isWhitespaceOrNewline(self[end - 1]) { end -= 1 }
        return self[start..<end]
    }
}

extension String {
    /// Decodes bytes as UTF-8, replacing invalid sequences (RFC 6532 header text is UTF-8;
    /// anything else is shown rather than dropped).
    @inlinable init(utf8Bytes bytes: some Collection<UInt8>) {
        self = String(decoding: bytes, as: UTF8.self)
    }

    /// True when every scalar is 7-bit ASCII.
    @inlinable var isASCII: Bool { utf8.allSatisfy { $0 < 0x80 } }
}

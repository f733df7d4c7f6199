/// RFC 2047 encoded words (`=?charset?B|Q?text?=`) in header text.
public enum EncodedWord {
    /// Which RFC 2047 4 encoding to write.
    public enum Encoding: Sendable, Hashable {
        /// "B": base64 (RFC 2047 4.1), compact for mostly non-ASCII text.
        case base64
        /// "Q": quoted-printable-like (RFC 2047 4.2), readable for mostly ASCII text.
        case quoted
        /// Q unless it would be more than half as long again as B.
        case automatic
    }

    // MARK: Decoding

    /// Decodes the encoded words in a header value (unfolded or not).
    ///
    /// RFC 2047 6.2: whitespace between two adjacent encoded words is dropped. Adjacent words in the
    /// same charset are joined before conversion, so a character split across two words survives.
    /// A malformed word or unknown charset is left as written. Bytes outside words are read as UTF-8
    /// (RFC 6532), or ISO-8859-1 when not valid UTF-8.
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var result = ""
        var plainStart = 0
        var index = 0
        // A run of adjacent words in one charset waiting to be converted.
        var pendingCharset: String?
        var pendingBytes: [UInt8] = []
        var pendingSource = 0..<0
        var lastWordEnd = -1

        func flushPending() {
            guard let charset = pendingCharset else { return }
            if let text = Charset.decode(pendingBytes, charset: charset) {
                result += text
            } else {
                result += Charset.decodeUndeclared(input[pendingSource])
            }
            pendingCharset = nil
            pendingBytes.removeAll(keepingCapacity: true)
        }

        while index + 1 < input.count {
            guard input[index] == ASCII.equals, input[index + 1] == ASCII.question,
                let word = parseWord(input, at: index)
            else {
                index += 1
                continue
            }
            let between = input[plainStart..<index]
            let onlyWhitespace = between.allSatisfy(ASCII.isWhitespaceOrNewline)
            if !(lastWordEnd == plainStart && onlyWhitespace) {
                flushPending()
                result += Charset.decodeUndeclared(between)
            }
            if pendingCharset != word.charset {
                flushPending()
                pendingCharset = word.charset
                pendingSource = index..<word.end
            }
            pendingBytes.append(contentsOf: word.bytes)
            pendingSource = pendingSource.lowerBound..<word.end
            index = word.end
            plainStart = word.end
            lastWordEnd = word.end
        }
        flushPending()
        result += Charset.decodeUndeclared(input[plainStart...])
        return result
    }

    /// Decodes the encoded words in `text`; see `decode(_:)` for bytes.
    public static func decode(_ text: String) -> String {
        decode(Array(text.utf8))
    }

    private struct Word {
        var charset: String
        var bytes: [UInt8]
        var end: Int
    }

    /// RFC 2047 2: encoded-word = "=?" charset "?" encoding "?" encoded-text "?="
    /// with RFC 2231 5 allowing `charset*language`.
    ///
    /// No whitespace is allowed inside a word.
    private static func parseWord(_ input: [UInt8], at start: Int) -> Word? {
        let limit = min(input.count, start + MailCoreDefaults.maxEncodedWordDecodeLength)
        var index = start + 2
        let charsetStart = index
        while index < limit, input[index] != ASCII.question {
            if input[index] <= ASCII.space || input[index] >= 0x7F { return nil }
            index += 1
        }
        guard index + 3 < limit, index > charsetStart, input[index + 2] == ASCII.question else { return nil }
        var charsetBytes = input[charsetStart..<index]
        if let star = charsetBytes.firstIndex(of: ASCII.asterisk) { charsetBytes = charsetBytes[..<star] }
        let encoding = ASCII.lowercased(input[index + 1])
        guard encoding == 0x62 || encoding == 0x71 else { return nil }  // "b" or "q"
        index += 3
        let textStart = index
        while index + 1 < limit, !(input[index] == ASCII.question && input[index + 1] == ASCII.equals) {
            if input[index] <= ASCII.space || input[index] >= 0x7F { return nil }
            index += 1
        }
        guard index + 1 < limit else { return nil }
        let text = input[textStart..<index]
        let bytes = encoding == 0x62 ? Base64.decode(text) : decodeQ(text)
        return Word(charset: String(decoding: charsetBytes, as: UTF8.self).lowercased(), bytes: bytes, end: index + 2)
    }

    /// RFC 2047 4.2: "_" is a space, "=XX" a byte, anything else itself.
    static func decodeQ(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == ASCII.underscore {
                output.append(ASCII.space)
            } else if byte == ASCII.equals, index + 2 < text.endIndex,
                let high = ASCII.hexValue(text[index + 1]), let low = ASCII.hexValue(text[index + 2])
            {
                output.append(high << 4 | low)
                index += 2
            } else {
                output.append(byte)
            }
            index += 1
        }
        return output
    }

    // MARK: Encoding

    /// Encodes an unstructured header value (Subject, Comments…) for the wire.
    ///
    /// ASCII text comes back unchanged. Otherwise the span from the first to the last word that needs
    /// it is written as UTF-8 encoded words of at most 75 characters, split between characters,
    /// separated by single spaces (fold there). Words around the span stay readable.
    public static func encode(_ text: String, encoding: Encoding = .automatic) -> String {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        guard let first = words.firstIndex(where: needsEncoding), let last = words.lastIndex(where: needsEncoding)
        else { return text }
        let span = words[first...last].joined(separator: " ")
        var parts: [String] = []
        if first > 0 { parts.append(words[..<first].joined(separator: " ")) }
        parts.append(encodeWords(span, encoding: encoding, phrase: false).joined(separator: " "))
        if last + 1 < words.count { parts.append(words[(last + 1)...].joined(separator: " ")) }
        return parts.joined(separator: " ")
    }

    /// Encodes a display name or other RFC 5322 phrase: atoms stay as they are, other ASCII becomes a
    /// quoted string, and non-ASCII text becomes encoded words (RFC 2047 5 (3) character set).
    public static func encodePhrase(_ phrase: String) -> String {
        if phrase.isEmpty { return "\"\"" }
        if phrase.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }) {
            if !phrase.contains("=?"), phrase.utf8.allSatisfy({ $0 == ASCII.space || AddressSyntax.isAtext($0) }),
                !phrase.hasPrefix(" "), !phrase.hasSuffix(" "), !phrase.contains("  ")
            {
                return phrase
            }
            var quoted = "\""
            for character in phrase {
                if character == "\"" || character == "\\" { quoted.append("\\") }
                quoted.append(character)
            }
            return quoted + "\""
        }
        return encodeWords(phrase, encoding: .automatic, phrase: true).joined(separator: " ")
    }

    private static func needsEncoding(_ word: Substring) -> Bool {
        word.contains("=?") || word.unicodeScalars.contains { !$0.isASCII || $0.value < 0x20 || $0.value == 0x7F }
    }

    /// Splits `text` into UTF-8 encoded words, each at most 75 characters, never inside a character.
    static func encodeWords(_ text: String, encoding: Encoding, phrase: Bool) -> [String] {
        let useBase64: Bool
        switch encoding {
        case .base64: useBase64 = true
        case .quoted: useBase64 = false
        case .automatic:
            // Q stays readable, so it wins unless it is half as long again as B.
            let qLength = text.utf8.reduce(0) { $0 + (isQSafe($1, phrase: phrase) ? 1 : 3) }
            useBase64 = qLength * 2 > (text.utf8.count + 2) / 3 * 4 * 3
        }
        let prefix = useBase64 ? "=?UTF-8?B?" : "=?UTF-8?Q?"
        let room = MailCoreDefaults.maxEncodedWordLength - prefix.utf8.count - 2
        var words: [String] = []
        var current: [UInt8] = []
        var currentLength = 0

        func cost(of bytes: [UInt8]) -> Int {
            if useBase64 { return 0 }
            return bytes.reduce(0) { $0 + (isQSafe($1, phrase: phrase) ? 1 : 3) }
        }
        func emit() {
            guard !current.isEmpty else { return }
            let payload = useBase64 ? Base64.encode(current, lineLength: 0) : encodeQ(current, phrase: phrase)
            words.append(prefix + String(decoding: payload, as: UTF8.self) + "?=")
            current.removeAll()
            currentLength = 0
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            let newLength = useBase64 ? (current.count + bytes.count + 2) / 3 * 4 : currentLength + cost(of: bytes)
            if newLength > room, !current.isEmpty { emit() }
            current.append(contentsOf: bytes)
            currentLength = useBase64 ? (current.count + 2) / 3 * 4 : currentLength + cost(of: bytes)
        }
        emit()
        return words
    }

    /// RFC 2047 5 (3): in a phrase only letters, digits and `!*+-/` may appear unencoded;
    /// elsewhere any printable except `=?_` and space is safe.
    private static func isQSafe(_ byte: UInt8, phrase: Bool) -> Bool {
        if byte == ASCII.space { return true }  // written as "_"
        if ASCII.isAlpha(byte) || ASCII.isDigit(byte) { return true }
        if phrase { return byte == 0x21 || byte == 0x2A || byte == 0x2B || byte == 0x2D || byte == 0x2F }
        return byte > 0x20 && byte < 0x7F && byte != ASCII.equals && byte != ASCII.question
            && byte != ASCII.underscore && byte != ASCII.openParen && byte != ASCII.closeParen
            && byte != ASCII.quote
    }

    private static func encodeQ(_ bytes: [UInt8], phrase: Bool) -> [UInt8] {
        var output: [UInt8] = []
        for byte in bytes {
            if byte == ASCII.space {
                output.append(ASCII.underscore)
            } else if isQSafe(byte, phrase: phrase) {
                output.append(byte)
            } else {
                output.append(ASCII.equals)
                output.append(ASCII.hexDigit(byte >> 4))
                output.append(ASCII.hexDigit(byte & 0x0F))
            }
        }
        return output
    }
}

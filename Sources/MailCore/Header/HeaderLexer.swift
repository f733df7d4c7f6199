/// RFC 5322 3.2 lexical pieces shared by the structured-field parsers.
enum HeaderLexer {
    /// RFC 5322 3.2.2: comment = "(" *([FWS] ccontent) [FWS] ")", nested, with quoted-pairs.
    ///
    /// Returns the index after the comment (or the end when it never closes).
    static func skipComment(_ bytes: ArraySlice<UInt8>, from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < bytes.endIndex {
            switch bytes[index] {
            case ASCII.backslash: index += 1
            case ASCII.openParen: depth += 1
            case ASCII.closeParen:
                depth -= 1
                if depth == 0 { return index + 1 }
            default: break
            }
            index += 1
        }
        return bytes.endIndex
    }

    /// RFC 5322 3.2.4: quoted-string = DQUOTE *([FWS] qcontent) [FWS] DQUOTE.
    ///
    /// Returns the unquoted
    /// content (quoted-pairs resolved, folding line breaks removed) and the index after the closing quote.
    static func readQuotedString(_ bytes: ArraySlice<UInt8>, from start: Int) -> ([UInt8], Int) {
        var value: [UInt8] = []
        var index = start + 1
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == ASCII.quote { return (value, index + 1) }
            if byte == ASCII.backslash, index + 1 < bytes.endIndex {
                value.append(bytes[index + 1])
                index += 2
                continue
            }
            if byte != ASCII.cr && byte != ASCII.lf { value.append(byte) }
            index += 1
        }
        return (value, bytes.endIndex)
    }

    /// RFC 2045 5.1: token = 1*<any CHAR except SPACE, CTLs, or tspecials>.
    static func isToken(_ byte: UInt8) -> Bool {
        guard byte > 0x20, byte < 0x7F else { return false }
        switch byte {
        case ASCII.openParen, ASCII.closeParen, ASCII.lessThan, ASCII.greaterThan, ASCII.at, ASCII.comma,
            ASCII.semicolon, ASCII.colon, ASCII.backslash, ASCII.quote, ASCII.slash, ASCII.openBracket,
            ASCII.closeBracket, ASCII.question, ASCII.equals:
            return false
        default:
            return true
        }
    }

    /// RFC 2231 7: attribute-char = <any (US-ASCII) CHAR except SPACE, CTLs, "*", "'", "%", or tspecials>.
    static func isAttributeChar(_ byte: UInt8) -> Bool {
        isToken(byte) && byte != ASCII.asterisk && byte != ASCII.apostrophe && byte != ASCII.percent
    }
}

/// RFC 5322 2.2.3 folding for the header lines the builder writes.
public enum HeaderFolding {
    /// `name: value` as one or more lines ending in CRLF, folded before whitespace so lines stay within
    /// 78 characters where the value allows and never exceed 998 (RFC 5322 2.1.1).
    ///
    /// A run longer than
    /// that with no whitespace is broken by force, which adds a space when unfolded.
    public static func fold(name: String, value: String) -> [UInt8] {
        let preferred = MailCoreDefaults.preferredHeaderLineLength
        let hardLimit = MailCoreDefaults.maxLineLength
        var output: [UInt8] = Array(name.utf8) + [ASCII.colon]
        var lineLength = output.count
        // Existing CRLF in a value (pre-folded parameters) are kept as fold points.
        for (lineIndex, physical) in Array(value.utf8).split(separator: ASCII.lf, omittingEmptySubsequences: false)
            .enumerated()
        {
            var line = physical[...]
            if line.last == ASCII.cr { line = line.dropLast() }
            if lineIndex > 0 {
                output += [ASCII.cr, ASCII.lf]
                lineLength = 0
                if line.first.map(ASCII.isWhitespace) != true { line = ([ASCII.space] + line)[...] }
            } else {
                line = ([ASCII.space] + line)[...]
            }
            for word in splitBeforeWhitespace(line) {
                if lineLength + word.count > preferred, lineLength > 1, let first = word.first,
                    ASCII.isWhitespace(first)
                {
                    output += [ASCII.cr, ASCII.lf]
                    lineLength = 0
                }
                var rest = word
                while lineLength + rest.count > hardLimit {
                    let room = max(1, hardLimit - lineLength)
                    output += rest.prefix(room)
                    output += [ASCII.cr, ASCII.lf, ASCII.space]
                    rest = rest.dropFirst(room)
                    lineLength = 1
                }
                output += rest
                lineLength += rest.count
            }
        }
        output += [ASCII.cr, ASCII.lf]
        return output
    }

    /// Pieces that each start at a whitespace byte (except maybe the first).
    private static func splitBeforeWhitespace(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if ASCII.isWhitespace(bytes[index]), index > start,
                !(index > bytes.startIndex && ASCII.isWhitespace(bytes[index - 1]))
            {
                pieces.append(bytes[start..<index])
                start = index
            }
            index += 1
        }
        if start < bytes.endIndex { pieces.append(bytes[start..<bytes.endIndex]) }
        return pieces
    }
}

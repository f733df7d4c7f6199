/// HEADER.FIELDS of a message's own header in one pass over its bytes (RFC 3501 §6.4.5), for the
/// header sync every client starts with: the same fields `MessageHeader.parse` would find and
/// `FetchEngine.filtered` would keep, without making a `HeaderField` (two allocations) per field.
enum HeaderFieldFilter {
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    /// The fields of `bytes`'s header named in `names` (ASCII case-insensitively), each ending in
    /// CRLF, then the blank line.
    static func fields(_ bytes: [UInt8], named names: [String]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(min(bytes.count, 1024))
        bytes.withUnsafeBufferPointer { buffer in
            let count = buffer.count
            var index = 0
            var fieldStart = -1
            // RFC 5322 2.2.3: a line starting with space or tab continues the field before it.
            while index < count {
                let first = buffer[index]
                if first == lf || (first == cr && index + 1 < count && buffer[index + 1] == lf) { break }
                var next = index
                while next < count, buffer[next] != lf { next += 1 }
                if next < count { next += 1 }
                if !(isWhitespace(first) && fieldStart >= 0) {
                    keep(buffer, fieldStart, index, names, &result)
                    fieldStart = index
                }
                index = next
            }
            keep(buffer, fieldStart, min(index, count), names, &result)
        }
        result.append(contentsOf: [cr, lf])
        return result
    }

    /// Appends the field `start..<end` when its name is one of `names`.
    ///
    /// A malformed line (no colon, a name with spaces or 8-bit bytes) matches no name, as in `HeaderScanner`.
    private static func keep(
        _ buffer: UnsafeBufferPointer<UInt8>,
        _ start: Int,
        _ end: Int,
        _ names: [String],
        _ result: inout [UInt8]
    ) {
        guard start >= 0, end > start, !isWhitespace(buffer[start]) else { return }
        var contentEnd = end
        if buffer[contentEnd - 1] == lf { contentEnd -= 1 }
        if contentEnd > start, buffer[contentEnd - 1] == cr { contentEnd -= 1 }
        var colon = start
        while colon < contentEnd, buffer[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < contentEnd else { return }
        var nameEnd = colon
        while nameEnd > start, isWhitespace(buffer[nameEnd - 1]) { nameEnd -= 1 }
        guard nameEnd > start else { return }
        let name = UnsafeBufferPointer(rebasing: buffer[start..<nameEnd])
        guard name.allSatisfy({ $0 >= 33 && $0 <= 126 }) else { return }
        guard names.contains(where: { equalsIgnoringCase(name, $0) }) else { return }
        result.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<end]))
        // Always CRLF: the last field may have no line end.
        if result.last != lf {
            result.append(contentsOf: [cr, lf])
        } else if result.count < 2 || result[result.count - 2] != cr {
            result.insert(cr, at: result.count - 1)
        }
    }

    /// Whether the field name `bytes` is `name`, ASCII case-insensitively.
    ///
    /// Called for every field of every message against every name asked for (a dozen in Thunderbird's
    /// header sync), so the lengths are compared first (O(1) for a native string) and the octets then
    /// through the string's contiguous storage rather than its iterator.
    private static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ name: String) -> Bool {
        let utf8 = name.utf8
        guard utf8.count == bytes.count else { return false }
        let compared = utf8.withContiguousStorageIfAvailable { other -> Bool in
            for index in 0..<other.count where lowercased(bytes[index]) != lowercased(other[index]) { return false }
            return true
        }
        return compared ?? equalsIgnoringCaseIterating(bytes, name)
    }

    /// The same, for a string whose octets are not contiguous (a bridged or lazily decoded one).
    private static func equalsIgnoringCaseIterating(_ bytes: UnsafeBufferPointer<UInt8>, _ name: String) -> Bool {
        var other = name.utf8.makeIterator()
        for byte in bytes {
            guard let expected = other.next(), lowercased(byte) == lowercased(expected) else { return false }
        }
        return other.next() == nil
    }

    @inline(__always) private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    @inline(__always) private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09
    }
}

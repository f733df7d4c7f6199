/// Line-end arithmetic for files other programs wrote with bare LF: IMAP serves every message with
/// CRLF (RFC 3501 2.3.4: RFC822.SIZE counts the CRLF form), so sizes and offsets use that form.
enum LineEnds {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")

    /// LFs not preceded by CR.
    static func bareLineFeeds(in bytes: some Sequence<UInt8>) -> Int {
        var previous: UInt8 = 0
        return bareLineFeeds(in: bytes, previous: &previous)
    }

    /// Chunked counting: `previous` is the byte before `bytes`, and becomes their last byte.
    static func bareLineFeeds(in bytes: some Sequence<UInt8>, previous: inout UInt8) -> Int {
        var count = 0
        var last = previous
        for byte in bytes {
            if byte == lf && last != cr { count += 1 }
            last = byte
        }
        previous = last
        return count
    }

    /// The bytes with each bare LF turned into CRLF; CRLF pairs and lone CRs are left alone.
    static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + bytes.count / 32)
        var last: UInt8 = 0
        for byte in bytes {
            if byte == lf && last != cr { result.append(cr) }
            result.append(byte)
            last = byte
        }
        return result
    }

    /// RFC 5322 2.1: the header section's length including the empty line that ends it, or the
    /// whole length when there is no body. `bytes` must already be in CRLF form.
    static func headerLength(_ bytes: [UInt8]) -> Int {
        if bytes.starts(with: [cr, lf]) { return 2 }
        var index = 0
        while index + 3 < bytes.count {
            if bytes[index] == cr && bytes[index + 1] == lf && bytes[index + 2] == cr && bytes[index + 3] == lf {
                return index + 4
            }
            index += 1
        }
        return bytes.count
    }
}

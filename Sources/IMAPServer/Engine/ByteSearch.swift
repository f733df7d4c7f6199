/// Case-insensitive search on bytes for SEARCH BODY/TEXT with an ASCII needle: most message text
/// is ASCII, and comparing bytes spares decoding every part into a `String` and lowercasing it.
enum ByteSearch {
    /// The needle's bytes, lowercased, when it is all ASCII (otherwise nil: search the decoded text).
    static func asciiNeedle(_ value: String) -> [UInt8]? {
        let bytes = Array(value.lowercased().utf8)
        return bytes.allSatisfy { $0 < 0x80 } ? bytes : nil
    }

    /// Whether every ASCII byte in `charset` stands for that ASCII character, so a byte match is a text match.
    ///
    /// Charsets like UTF-7, UTF-16 or ISO-2022-JP do not qualify.
    static func isASCIICompatible(charset: String?) -> Bool {
        guard let charset = charset?.lowercased() else { return true }
        return charset == "us-ascii" || charset == "utf-8" || charset == "utf8" || charset.hasPrefix("iso-8859-")
            || charset.hasPrefix("windows-125")
    }

    /// What a byte search can tell: found, absent (the bytes are all ASCII, so the decoded text is the
    /// same characters), or unknown (non-ASCII bytes: Unicode case folding may still find a match).
    enum Answer {
        case found
        case absent
        case unknown
    }

    /// Looks for `needle` (lowercase ASCII, not empty) in `haystack`, ASCII case-insensitively.
    static func search(_ needle: [UInt8], in haystack: some Collection<UInt8>) -> Answer {
        let result = haystack.withContiguousStorageIfAvailable { search(needle, in: $0) }
        return result ?? search(needle, in: Array(haystack))
    }

    private static func search(_ needle: [UInt8], in haystack: [UInt8]) -> Answer {
        haystack.withUnsafeBufferPointer { search(needle, in: $0) }
    }

    private static func search(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Answer {
        guard let first = needle.first, needle.count <= haystack.count else {
            return haystack.allSatisfy { $0 < 0x80 } ? .absent : .unknown
        }
        var asciiOnly = true
        let last = haystack.count - needle.count
        var index = 0
        while index < haystack.count {
            let byte = haystack[index]
            if byte >= 0x80 {
                asciiOnly = false
            } else if index <= last, lower(byte) == first {
                var matched = 1
                while matched < needle.count, lower(haystack[index + matched]) == needle[matched] { matched += 1 }
                if matched == needle.count { return .found }
            }
            index += 1
        }
        return asciiOnly ? .absent : .unknown
    }

    @inline(__always)
    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}

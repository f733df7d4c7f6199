/// A DKIM tag=value list (RFC 6376 §3.2), also the shape of DMARC records (RFC 7489 §6.4): tags
/// separated by ";", whitespace around names and values ignored, each tag at most once.
public struct TagList: Sendable, Hashable {
    /// The tags in the order written, names as written (DKIM's are case-sensitive), values with the
    /// whitespace around them removed (whitespace inside, as in a folded `b=`, is kept).
    public var tags: [(name: String, value: String)]

    /// Why a tag list is not one.
    public enum Error: Swift.Error, Hashable, Sendable {
        /// A tag-spec without "=" or with a name that is not ALPHA *(ALPHA / DIGIT / "_").
        case malformedTag(String)
        /// The same tag twice (§3.2: "MUST be treated as an error").
        case duplicateTag(String)
    }

    /// Parses `bytes`; values are read as UTF-8 (key records and signatures are ASCII; 8-bit junk
    /// becomes U+FFFD and fails the checks on the tag it is in).
    public init(parsing bytes: some Collection<UInt8>) throws(Error) {
        var tags: [(name: String, value: String)] = []
        for spec in Array(bytes).split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false) {
            let trimmed = spec.trimmingFWS()
            if trimmed.isEmpty { continue }  // the optional ";" at the end, or ";;"
            guard let equals = trimmed.firstIndex(of: UInt8(ascii: "=")) else {
                throw .malformedTag(String(decoding: trimmed, as: UTF8.self))
            }
            let name = String(decoding: trimmed[..<equals].trimmingFWS(), as: UTF8.self)
            guard let first = name.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII,
                name.unicodeScalars.allSatisfy({
                    $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_")
                })
            else { throw .malformedTag(name) }
            if tags.contains(where: { $0.name == name }) { throw .duplicateTag(name) }
            tags.append((name, String(decoding: trimmed[(equals + 1)...].trimmingFWS(), as: UTF8.self)))
        }
        self.tags = tags
    }

    /// The value of tag `name`, or nil.
    public subscript(_ name: String) -> String? { tags.first { $0.name == name }?.value }

    /// Equal when the tags, names and values, are the same in the same order.
    public static func == (lhs: TagList, rhs: TagList) -> Bool {
        lhs.tags.map(\.name) == rhs.tags.map(\.name) && lhs.tags.map(\.value) == rhs.tags.map(\.value)
    }

    /// Hashes every tag's name and value, in order.
    public func hash(into hasher: inout Hasher) {
        for tag in tags {
            hasher.combine(tag.name)
            hasher.combine(tag.value)
        }
    }
}

extension BidirectionalCollection where Element == UInt8 {
    /// The octets without folding whitespace (SP, HTAB, CR, LF) at either end.
    func trimmingFWS() -> SubSequence {
        let isFWS: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        var slice = self[...]
        while let first = slice.first, isFWS(first) { slice = slice.dropFirst() }
        while let last = slice.last, isFWS(last) { slice = slice.dropLast() }
        return slice
    }
}

extension String {
    /// The text with every folding whitespace octet removed (base64 values in b=, bh=, p=).
    var withoutFWS: String { String(unicodeScalars.filter { !" \t\r\n".unicodeScalars.contains($0) }) }
}

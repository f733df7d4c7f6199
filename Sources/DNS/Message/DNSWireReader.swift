/// Reads the fields of a DNS message, checking every length against the buffer.
///
/// See RFC 1035 §4.1. Nothing here traps on malformed input:
/// each read that would pass the end throws.
struct DNSWireReader {
    /// The whole message: compression pointers are offsets into it (RFC 1035 §4.1.4).
    let bytes: [UInt8]
    /// The offset of the next field.
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Fails unless `count` more octets are there.
    func require(_ count: Int, at offset: Int) throws(DNSError) {
        guard count >= 0, offset >= 0, offset <= bytes.count, bytes.count - offset >= count else {
            throw .truncatedMessage(offset: offset)
        }
    }

    mutating func readUInt8() throws(DNSError) -> UInt8 {
        try require(1, at: position)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readUInt16() throws(DNSError) -> UInt16 {
        try require(2, at: position)
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    mutating func readUInt32() throws(DNSError) -> UInt32 {
        try require(4, at: position)
        defer { position += 4 }
        return UInt32(bytes[position]) << 24 | UInt32(bytes[position + 1]) << 16 | UInt32(bytes[position + 2]) << 8
            | UInt32(bytes[position + 3])
    }

    mutating func readBytes(_ count: Int) throws(DNSError) -> [UInt8] {
        try require(count, at: position)
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    /// Reads a possibly compressed name at the current position and moves past it (past its first
    /// pointer, if it has one).
    ///
    /// RFC 1035 §4.1.4: a length octet with top bits `11` starts a two-octet pointer to an earlier
    /// occurrence of the rest of the name. Here a pointer must point before the start of the run of
    /// labels it ends, so every jump goes strictly backwards and no chain of pointers can loop; the
    /// number of pointers is bounded too, every label is at most 63 octets and the name at most 255
    /// (RFC 1035 §2.3.4).
    mutating func readName() throws(DNSError) -> DNSName {
        let start = position
        var labels: [[UInt8]] = []
        var length = 1
        var offset = start
        var runStart = start
        var end: Int?
        var pointers = 0
        while true {
            try require(1, at: offset)
            let octet = bytes[offset]
            switch octet & 0xC0 {
            case 0x00:
                if octet == 0 {
                    position = end ?? offset + 1
                    return DNSName(uncheckedLabels: labels)
                }
                let count = Int(octet)
                try require(count, at: offset + 1)
                length += 1 + count
                guard length <= DNSDefaults.maxNameLength else { throw .nameTooLong(offset: start) }
                labels.append(Array(bytes[offset + 1..<offset + 1 + count]))
                offset += 1 + count
            case 0xC0:
                try require(2, at: offset)
                let target = Int(octet & 0x3F) << 8 | Int(bytes[offset + 1])
                guard target < runStart else { throw .compressionPointerNotBackwards(offset: offset) }
                pointers += 1
                guard pointers <= DNSDefaults.maxCompressionPointers else {
                    throw .tooManyCompressionPointers(offset: start)
                }
                if end == nil { end = offset + 2 }
                offset = target
                runStart = target
            default:
                throw .labelTooLong(offset: offset)
            }
        }
    }

    /// Reads one `<character-string>`: a length octet and that many octets (RFC 1035 §3.3).
    mutating func readCharacterString() throws(DNSError) -> [UInt8] {
        let count = try readUInt8()
        return try readBytes(Int(count))
    }
}

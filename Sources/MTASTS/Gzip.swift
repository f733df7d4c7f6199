/// A gzip file (RFC 1952) whose deflate stream (RFC 1951) holds stored blocks only.
///
/// TLS-RPT wants the report gzipped (RFC 8460 §5.1); reports are a few kilobytes, so compression itself
/// buys little, and stored blocks need no zlib: every gzip reader takes them.
enum Gzip {
    static func stored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]  // deflate, no flags, no mtime, OS unknown
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let final = offset + length == data.count
            out.append(final ? 1 : 0)  // BFINAL, BTYPE 00 (stored), then byte-aligned LEN and NLEN
            out += [UInt8(length & 0xff), UInt8(length >> 8), UInt8(~length & 0xff), UInt8((~length >> 8) & 0xff)]
            out += data[offset..<offset + length]
            offset += length
        } while offset < data.count
        out += littleEndian(crc32(data))
        out += littleEndian(UInt32(truncatingIfNeeded: data.count))
        return out
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xff), UInt8((value >> 8) & 0xff), UInt8((value >> 16) & 0xff), UInt8(value >> 24)]
    }

    /// CRC-32 of ISO 3309 / RFC 1952 §8 (reflected, polynomial 0xEDB88320).
    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xedb8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}

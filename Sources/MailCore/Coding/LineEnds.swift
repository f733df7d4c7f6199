import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Line-end arithmetic, once for every target: messages other programs wrote to a Maildir may hold
/// bare LF, while IMAP serves every message with CRLF (RFC 3501 2.3.4: RFC822.SIZE counts the CRLF
/// form) and SMTP carries only CRLF-ended lines (RFC 5321 2.3.8).
public enum LineEnds {
    /// Line feeds not preceded by a carriage return.
    public static func bareLineFeedCount(in bytes: some Collection<UInt8>) -> Int {
        var previous: UInt8 = 0
        if let count = bytes.withContiguousStorageIfAvailable({
            bareLineFeedCount(in: UnsafeRawBufferPointer($0), previous: &previous)
        }) {
            return count
        }
        return Array(bytes).withUnsafeBytes { bareLineFeedCount(in: $0, previous: &previous) }
    }

    /// Line feeds not preceded by a carriage return, counted chunk by chunk.
    ///
    /// `previous` is the octet before `octets` (0 at the start) and becomes their last. Found with
    /// memchr, as delivery counts every octet of every message.
    public static func bareLineFeedCount(in octets: UnsafeRawBufferPointer, previous: inout UInt8) -> Int {
        guard let base = octets.baseAddress, !octets.isEmpty else { return 0 }
        var count = 0
        var offset = 0
        while offset < octets.count, let found = memchr(base + offset, 0x0A, octets.count - offset) {
            let index = base.distance(to: UnsafeRawPointer(found))
            if (index == 0 ? previous : octets[index - 1]) != ASCII.cr { count += 1 }
            offset = index + 1
        }
        previous = octets[octets.count - 1]
        return count
    }

    /// The size the bytes have once every bare LF becomes CRLF (IMAP RFC822.SIZE of such a file).
    public static func crlfSize(of bytes: some Collection<UInt8>) -> Int {
        bytes.count + bareLineFeedCount(in: bytes)
    }

    /// The bytes with every bare LF turned into CRLF; existing CRLF and lone CR stay as they are
    /// (what IMAP serves of a file with bare LF).
    ///
    /// Contiguous bytes (a file as read) go a line at a time, found with `memchr`: called across modules
    /// this generic function is not specialised, and a byte at a time through the protocol witnesses it
    /// was most of the time NNTP's ARTICLE spent on a bare-LF file.
    public static func normalizedToCRLF(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 32)
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            guard let base = buffer.baseAddress else { return }
            var start = 0
            while start < buffer.count {
                guard let found = memchr(base + start, Int32(ASCII.lf), buffer.count - start) else {
                    output.append(contentsOf: UnsafeBufferPointer(start: base + start, count: buffer.count - start))
                    return
                }
                let end = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
                output.append(contentsOf: UnsafeBufferPointer(start: base + start, count: end - start))
                // The byte before this LF, in the whole input (a line may be empty).
                if end == 0 || base[end - 1] != ASCII.cr { output.append(ASCII.cr) }
                output.append(ASCII.lf)
                start = end + 1
            }
        }
        if done != nil { return output }
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == ASCII.lf, previous != ASCII.cr { output.append(ASCII.cr) }
            output.append(byte)
            previous = byte
        }
        return output
    }

    /// Whether any line break is not CRLF: a bare LF, or a CR not followed by LF.
    public static func hasBareLineBreak(_ bytes: [UInt8]) -> Bool {
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == ASCII.lf && previous != ASCII.cr { return true }
            if previous == ASCII.cr && byte != ASCII.lf { return true }
            previous = byte
        }
        return previous == ASCII.cr
    }

    /// The bytes with every line break — CRLF, a bare LF or a bare CR — written as CRLF (RFC 5321
    /// 2.3.8: what SMTP and a built message carry).
    public static func crlfLineBreaks(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 40)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ASCII.cr || byte == ASCII.lf {
                output += [ASCII.cr, ASCII.lf]
                if byte == ASCII.cr, index + 1 < bytes.count, bytes[index + 1] == ASCII.lf { index += 1 }
            } else {
                output.append(byte)
            }
            index += 1
        }
        return output
    }

    /// RFC 5322 2.1: the header section's length including the empty line that ends it.
    ///
    /// The whole length when there is no body. `bytes` must already be in CRLF form.
    public static func headerLength(_ bytes: [UInt8]) -> Int {
        if bytes.starts(with: [ASCII.cr, ASCII.lf]) { return 2 }
        var index = 0
        while index + 3 < bytes.count {
            if bytes[index] == ASCII.cr && bytes[index + 1] == ASCII.lf && bytes[index + 2] == ASCII.cr
                && bytes[index + 3] == ASCII.lf
            {
                return index + 4
            }
            index += 1
        }
        return bytes.count
    }
}

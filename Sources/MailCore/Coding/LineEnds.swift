/// Line-end arithmetic for messages that may hold bare LF (files other programs wrote to a Maildir).
public enum LineEnds {
    /// Line feeds not preceded by a carriage return.
    public static func bareLineFeedCount(in bytes: some Collection<UInt8>) -> Int {
        if let count = bytes.withContiguousStorageIfAvailable({ bareLineFeedCount(buffer: $0) }) { return count }
        return Array(bytes).withUnsafeBufferPointer { bareLineFeedCount(buffer: $0) }
    }

    /// The size the bytes have once every bare LF becomes CRLF (IMAP RFC822.SIZE of such a file).
    public static func crlfSize(of bytes: some Collection<UInt8>) -> Int {
        bytes.count + bareLineFeedCount(in: bytes)
    }

    /// The bytes with every bare LF turned into CRLF; existing CRLF and lone CR stay as they are.
    public static func normalizedToCRLF(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 32)
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == ASCII.lf, previous != ASCII.cr { output.append(ASCII.cr) }
            output.append(byte)
            previous = byte
        }
        return output
    }

    private static func bareLineFeedCount(buffer: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        var previous: UInt8 = 0
        for byte in buffer {
            if byte == ASCII.lf, previous != ASCII.cr { count += 1 }
            previous = byte
        }
        return count
    }
}

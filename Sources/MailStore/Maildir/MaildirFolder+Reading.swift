import Foundation
import MailCore

#if canImport(Glibc)
import Glibc
#endif

/// Reading messages, in the CRLF form IMAP serves.
extension MaildirFolder {
    func filePath(uid: UInt32) -> String? {
        index(of: uid).map { curPath + "/" + records[$0].fileName }
    }

    /// The message with CRLF line ends (RFC 3501 serves messages so), exactly as stored when it
    /// already has them.
    func read(uid: UInt32) throws -> [UInt8] {
        guard let position = index(of: uid) else { throw MailStoreError.messageNotFound(uid: uid) }
        return try Self.read(records[position], in: curPath)
    }

    /// The message of `record` in the cur/ folder `curPath`, CRLF form.
    static func read(_ record: MessageRecord, in curPath: String) throws -> [UInt8] {
        let bytes = try POSIX.readFile(curPath + "/" + record.fileName)
        return record.needsCRLFConversion ? LineEnds.normalizedToCRLF(bytes) : bytes
    }

    /// Bytes `range` of the CRLF form (for BODY[]<partial> fetches): read directly when the file is
    /// already CRLF.
    func read(uid: UInt32, range: Range<Int>) throws -> [UInt8] {
        guard let position = index(of: uid) else { throw MailStoreError.messageNotFound(uid: uid) }
        let record = records[position]
        let lower = max(0, min(range.lowerBound, record.size))
        let upper = max(lower, min(range.upperBound, record.size))
        if record.needsCRLFConversion {
            return Array(try read(uid: uid)[lower..<upper])
        }
        return try POSIX.readRange(curPath + "/" + record.fileName, offset: lower, count: upper - lower)
    }

    /// The header section's length in the CRLF form, read once (in chunks, up to the blank line)
    /// and then cached.
    mutating func headerLength(uid: UInt32) throws -> Int {
        guard let position = index(of: uid) else { throw MailStoreError.messageNotFound(uid: uid) }
        let record = records[position]
        if let known = cache.entries[record.base]?.headerLength, known >= 0 { return known }
        let chunk = 16 * 1024
        var prefix: [UInt8] = []
        var length = record.size
        while prefix.count < record.physicalSize {
            let bytes = try POSIX.readRange(curPath + "/" + record.fileName, offset: prefix.count, count: chunk)
            if bytes.isEmpty { break }
            prefix += bytes
            let view = record.needsCRLFConversion ? LineEnds.normalizedToCRLF(prefix) : prefix
            let found = LineEnds.headerLength(view)
            if found < view.count || prefix.count >= record.physicalSize {
                length = found
                break
            }
        }
        cache.entries[record.base]?.headerLength = length
        cacheDirty = true
        return length
    }
}

extension MaildirFolder {
    /// The header section (with its blank line) in the CRLF form, read from the start of the file
    /// up to the blank line: usually one read.
    func readHeader(_ record: MessageRecord) throws -> [UInt8] {
        try Self.readHeader(record, in: curPath)
    }

    /// The header section of `record`'s file in the cur/ folder `curPath`.
    static func readHeader(_ record: MessageRecord, in curPath: String) throws -> [UInt8] {
        let chunk = MailStoreDefaults.headerReadChunkBytes
        let path = curPath + "/" + record.fileName
        var prefix: [UInt8] = []
        while true {
            let bytes = try POSIX.readRange(path, offset: prefix.count, count: chunk)
            prefix += bytes
            let view = record.needsCRLFConversion ? LineEnds.normalizedToCRLF(prefix) : prefix
            let found = LineEnds.headerLength(view)
            if found < view.count || bytes.count < chunk || prefix.count >= record.physicalSize {
                return found == view.count ? view : Array(view[0..<found])
            }
        }
    }
}

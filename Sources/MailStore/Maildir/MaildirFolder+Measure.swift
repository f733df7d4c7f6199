import Foundation
import MailCore

#if canImport(Glibc)
import Glibc
#endif

/// Measuring files the cache does not describe: a folder's first scan, or files other programs put in.
extension MaildirFolder {
    /// Measures the files of `listing` (base → file name in cur/) and keeps what it finds in the cache,
    /// with no mod-sequence yet; a file that cannot be measured is left out (a later scan tries again).
    ///
    /// A folder nobody opened before is thousands of files: they are measured on several threads with
    /// `fstatat` relative to cur/. After a restart their inodes are read from disk, and one stat at a
    /// time waits for each read in turn; side by side the reads overlap, and no stat walks the folder's
    /// path again.
    mutating func measureUncached(_ listing: [String: String]) {
        guard !listing.isEmpty else { return }
        let files = Array(listing)
        let directory = open(curPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return }
        defer { close(directory) }
        let lanes = min(MailStoreDefaults.deliverySyncThreads, max(1, files.count / 256))
        let size = (files.count + lanes - 1) / lanes
        let chunks = stride(from: 0, to: files.count, by: size).map { Array(files[$0..<min($0 + size, files.count)]) }
        let curPath = curPath
        let measured = ParallelSync.map(chunks) { chunk in
            chunk.map { Self.measure(fileName: $0.value, in: directory, curPath: curPath) }
        }
        for (chunk, entries) in zip(chunks, measured) {
            for (file, entry) in zip(chunk, entries) {
                guard let entry else { continue }
                cache.entries[file.key] = entry
            }
        }
        cacheDirty = true
    }

    /// One stat for the date; sizes without opening the file when the name carries them (`,S=`,
    /// `,W=`), otherwise one read to count bare LFs.
    ///
    /// INTERNALDATE (RFC 3501 2.3.3) is the file's modification time, the Maildir convention Dovecot
    /// and Courier share: their APPEND names the file with the time of the APPEND but sets the mtime
    /// to the date the client gave, so the name's leading seconds are not the internal date.
    private static func measure(fileName: String, in directory: Int32, curPath: String) -> MetadataCache.Entry? {
        let parsed = MaildirFileName(fileName)
        var info = Glibc.stat()
        guard fstatat(directory, fileName, &info, 0) == 0 else { return nil }
        var size = parsed.physicalSize ?? Int(info.st_size)
        var crlfSize = parsed.virtualSize
        let date = Int(info.st_mtim.tv_sec)
        if crlfSize == nil {
            guard let bytes = try? POSIX.readFile(curPath + "/" + fileName) else { return nil }
            size = bytes.count
            crlfSize = bytes.count + LineEnds.bareLineFeedCount(in: bytes)
        }
        guard let crlfSize else { return nil }
        return MetadataCache.Entry(
            fileName: "",
            size: size,
            crlfSize: crlfSize,
            internalDate: date,
            modSeq: 0,
            headerLength: -1
        )
    }
}

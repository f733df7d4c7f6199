import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// INTERNALDATE read when a client first asks for it, not when the folder is first scanned.
///
/// RFC 3501 2.3.3: the date is the file's modification time (see `MaildirFolder+Measure.swift`), so
/// knowing it costs a stat, and a stat of each of a big folder's files was most of the first SELECT of
/// a folder nobody opened before. Most clients ask for the dates of the messages they show, a SEARCH
/// by date asks for all of them; a date read once is kept in the cache with the sizes.
extension MaildirFolder {
    /// Gives `records[i]` its date for each of `indexes` that has none yet.
    ///
    /// A file gone or renamed by another program since the last scan keeps the seconds its name
    /// begins with, for this answer only: the next scan sees what became of it.
    mutating func readInternalDates(at indexes: [Int]) {
        statSideBySide(indexes.filter { records[$0].internalDate == nil })
    }

    /// One `fstatat` per file of `records[i]` for `indexes`, relative to cur/ and on several threads
    /// when there are many, keeping the dates not known yet.
    ///
    /// After a restart each stat waits for its inode to be read from disk; side by side the reads
    /// overlap. A STORE on many messages calls this before its renames for that alone: a rename looks
    /// its file up and reads its inode under cur/'s lock, one rename after another.
    mutating func statSideBySide(_ indexes: [Int]) {
        guard !indexes.isEmpty else { return }
        let fileNames = indexes.map { records[$0].fileName }
        let directory = open(curPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { if directory >= 0 { close(directory) } }
        let times = ParallelRead.map(fileNames) { Self.modificationTime(of: $0, in: directory) }
        for (index, time) in zip(indexes, times) where records[index].internalDate == nil {
            if let time {
                cache.change(records[index].base, .init(dated: (time, records[index].fileName)))
                cacheDirty = true
            }
            let seconds = time ?? MaildirFileName(records[index].fileName).deliverySeconds ?? 0
            records[index].internalDate = Date(timeIntervalSince1970: TimeInterval(seconds))
        }
    }

    /// The modification time of `fileName` in the directory open as `directory`, in whole seconds.
    private static func modificationTime(of fileName: String, in directory: Int32) -> Int? {
        guard directory >= 0 else { return nil }
        var info = Glibc.stat()
        guard fstatat(directory, fileName, &info, 0) == 0 else { return nil }
        return Int(info.st_mtim.tv_sec)
    }
}

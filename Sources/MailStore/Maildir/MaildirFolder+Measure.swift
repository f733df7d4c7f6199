import Foundation
import MailCore

#if canImport(Glibc)
import Glibc
#endif

/// Measuring files the cache does not describe: a folder's first scan, or files other programs put in.
extension MaildirFolder {
    /// The records of the files of `listing` new to the view (a UID and no record yet), in UID order;
    /// each gets its cache entry (measured where there was none), its file name and a mod-sequence.
    ///
    /// A name that carries its sizes (`,S=`, `,W=`: what correo, Dovecot and most delivery agents write)
    /// is all there is to measure: the file is neither opened nor stated, and its date is read when a
    /// client first asks for it (`MaildirFolder+InternalDates.swift`). Dovecot does the same; a stat of
    /// every file was most of the first SELECT of a folder nobody opened before, and a table lookup
    /// more per file the next largest part. The other files are read once, on several threads; one
    /// that cannot be read is left out (a later scan tries again).
    mutating func takeIn(_ listing: [String: String], newFiles: Int, recent: Set<String>) -> [MessageRecord] {
        var appended: [MessageRecord] = []
        appended.reserveCapacity(newFiles)
        cache.entries.reserveCapacity(cache.entries.count + newFiles)
        uidByBase.reserveCapacity(uidByBase.count + newFiles)
        var unnamed: [(uid: UInt32, base: String, fileName: String)] = []
        for (base, fileName) in listing where uidByBase[base] == nil {
            guard let uid = uidList.uids[base] else { continue }
            if let entry = cache.entries[base] {
                appended.append(takeIn(uid: uid, base: base, fileName: fileName, entry: entry, recent: recent))
            } else if let sizes = MaildirFileName.sizes(ofBase: base) {
                let entry = MetadataCache.Entry(
                    fileName: "",
                    size: sizes.size,
                    crlfSize: sizes.crlfSize,
                    internalDate: nil,
                    modSeq: 0,
                    headerLength: -1
                )
                appended.append(takeIn(uid: uid, base: base, fileName: fileName, entry: entry, recent: recent))
            } else {
                unnamed.append((uid, base, fileName))
            }
        }
        if !unnamed.isEmpty {
            let curPath = curPath
            let measured = ParallelSync.map(Self.lanes(of: unnamed)) { chunk in
                chunk.map { Self.measure(fileName: $0.fileName, curPath: curPath) }
            }
            for (file, entry) in zip(unnamed, measured.joined()) {
                guard let entry else { continue }
                appended.append(
                    takeIn(uid: file.uid, base: file.base, fileName: file.fileName, entry: entry, recent: recent)
                )
            }
        }
        appended.sort { $0.uid < $1.uid }
        return appended
    }

    /// One file new to the view: its cache entry names it and has a mod-sequence, the view knows its UID.
    private mutating func takeIn(
        uid: UInt32,
        base: String,
        fileName: String,
        entry: MetadataCache.Entry,
        recent: Set<String>
    ) -> MessageRecord {
        var entry = entry
        if entry.fileName != fileName || entry.modSeq == 0 {
            entry.fileName = fileName
            entry.modSeq = nextModSeq()
            cache.entries[base] = entry
            cacheDirty = true
        }
        uidByBase[base] = uid
        var record = record(uid: uid, base: base, entry: entry)
        if !recent.isEmpty, recent.contains(base) {
            record.isRecent = true
            unclaimedRecent.insert(uid)
        }
        return record
    }

    /// `items` cut into at most `MailStoreDefaults.deliverySyncThreads` runs of at least 256, in order.
    static func lanes<T>(of items: [T]) -> [[T]] {
        let lanes = min(MailStoreDefaults.deliverySyncThreads, max(1, items.count / 256))
        let size = max(1, (items.count + lanes - 1) / lanes)
        return stride(from: 0, to: items.count, by: size).map { Array(items[$0..<min($0 + size, items.count)]) }
    }

    /// A file whose name does not carry its sizes: one read to count its bare LFs, one stat for the date.
    ///
    /// INTERNALDATE (RFC 3501 2.3.3) is the file's modification time, the Maildir convention Dovecot
    /// and Courier share: their APPEND names the file with the time of the APPEND but sets the mtime
    /// to the date the client gave, so the name's leading seconds are not the internal date.
    private static func measure(fileName: String, curPath: String) -> MetadataCache.Entry? {
        let path = curPath + "/" + fileName
        guard let info = POSIX.status(path), let bytes = try? POSIX.readFile(path) else { return nil }
        return MetadataCache.Entry(
            fileName: "",
            size: bytes.count,
            crlfSize: bytes.count + LineEnds.bareLineFeedCount(in: bytes),
            internalDate: Int(info.st_mtim.tv_sec),
            modSeq: 0,
            headerLength: -1
        )
    }
}

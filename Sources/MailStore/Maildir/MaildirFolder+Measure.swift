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
    mutating func takeIn(
        _ listing: [String: String],
        fresh: [(uid: UInt32, base: String, fileName: String)],
        newFiles: Int,
        recent: Set<String>
    ) -> [MessageRecord] {
        var appended: [MessageRecord] = []
        appended.reserveCapacity(newFiles)
        cache.entries.reserveCapacity(cache.entries.count + newFiles)
        // Every file new to the view has just been given its UID (a folder's first scan): no other
        // file need be looked for, and an empty view's UID map becomes the uidlist's whole.
        let onlyFresh = fresh.count == newFiles
        let sharesUIDs = onlyFresh && uidByBase.isEmpty
        if !sharesUIDs { uidByBase.reserveCapacity(uidByBase.count + newFiles) }
        let cacheIsEmpty = cache.entries.isEmpty
        var unnamed: [(uid: UInt32, base: String, fileName: String)] = []
        func take(_ file: (uid: UInt32, base: String, fileName: String), _ known: MetadataCache.Entry?) {
            guard let entry = known ?? Self.entry(sizedIn: file.base) else { return unnamed.append(file) }
            appended.append(takeIn(file, entry: entry, recent: recent))
            if !sharesUIDs { uidByBase[file.base] = file.uid }
        }
        for file in fresh { take(file, cacheIsEmpty ? nil : cache.entries[file.base]) }
        if !onlyFresh {
            // The fresh files' UIDs are the highest: above `firstFresh`, each was taken (or set aside to
            // be measured) by the loop before.
            let firstFresh = fresh.first?.uid ?? UInt32.max
            for (base, fileName) in listing where uidByBase[base] == nil {
                guard let uid = uidList.uids[base], uid < firstFresh else { continue }
                take((uid, base, fileName), cache.entries[base])
            }
        }
        if !unnamed.isEmpty {
            let curPath = curPath
            let measured = ParallelSync.map(Self.lanes(of: unnamed)) { chunk in
                chunk.map { Self.measure(fileName: $0.fileName, curPath: curPath) }
            }
            for (file, entry) in zip(unnamed, measured.joined()) {
                guard let entry else { continue }
                appended.append(takeIn(file, entry: entry, recent: recent))
                if !sharesUIDs { uidByBase[file.base] = file.uid }
            }
        }
        if sharesUIDs {
            if appended.count == uidList.uids.count {
                uidByBase = uidList.uids  // shared, not copied
            } else {
                for record in appended { uidByBase[record.base] = record.uid }
            }
        }
        // Fresh files come in UID order; others (and the measured ones, after them) do not.
        if !onlyFresh || !unnamed.isEmpty { appended.sort { $0.uid < $1.uid } }
        return appended
    }

    /// The entry of a file whose name carries both its sizes, its date not read; nil for other names.
    private static func entry(sizedIn base: String) -> MetadataCache.Entry? {
        guard let sizes = MaildirFileName.sizes(ofBase: base) else { return nil }
        return MetadataCache.Entry(
            fileName: "",
            size: sizes.size,
            crlfSize: sizes.crlfSize,
            internalDate: nil,
            modSeq: 0,
            headerLength: -1
        )
    }

    /// One file new to the view: its cache entry names it and has a mod-sequence.
    private mutating func takeIn(
        _ file: (uid: UInt32, base: String, fileName: String),
        entry: MetadataCache.Entry,
        recent: Set<String>
    ) -> MessageRecord {
        let (uid, base, fileName) = file
        var entry = entry
        if entry.fileName != fileName || entry.modSeq == 0 {
            entry.fileName = fileName
            entry.modSeq = nextModSeq()
            cache.entries[base] = entry
            cacheDirty = true
        }
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

import Foundation
import MailCore

#if canImport(Glibc)
import Glibc
#endif

/// One Maildir folder's state and the file work behind `Mailbox`.
///
/// Scanning, UID assignment, flag renames, expunge. Synchronous; the `Mailbox` actor runs it on its own Dispatch queue.
///
/// Every change to the set of files that get UIDs happens under an exclusive flock on
/// `correo-uidlist.lock`, which other correo processes take too: directory scans, new → cur moves,
/// UID assignment and expunges. Flag renames need no lock (a missing file is found by the next scan).
struct MaildirFolder {
    let path: String
    let name: MailboxName
    var uidList: UIDList
    var keywordList: KeywordList
    var cache: MetadataCache
    var cacheDirty = false
    /// The view, sorted by UID.
    var records: [MessageRecord] = []
    /// The view's base → UID map, once built (`uidByBase`).
    var viewUIDs: [String: UInt32] = [:]
    /// Set when the view was opened from the cache: its map is the uidlist's as it was then (at
    /// `uidList.generation`, from those lines), built only when first asked for.
    var viewUIDsPending: (generation: Int, lines: [(uid: UInt32, base: String)])?
    private(set) var highestModSeq: UInt64 = 0
    /// UIDs this process took out of new/ that no session has claimed as `\Recent` yet.
    var unclaimedRecent: Set<UInt32> = []
    /// Modification times of new/, cur/ and the uidlist taken as the last scan began (the stamp's
    /// rules are in `MaildirFolder+Stamp.swift`).
    var stamp: [Int64] = []
    /// Whether `stamp` is old enough to prove that nothing changed.
    ///
    /// Whether `stamp` can prove nothing changed: every time in it was at least
    /// `MailStoreDefaults.trustedStampAge` older than the scan. A change in the same clock tick as a
    /// younger stamp could leave the times equal, so a young stamp always means "look again".
    var stampTrusted = false
    /// Whether the times of new/ and cur/ in `stamp` were old enough to be trusted.
    var directoriesTrusted = false
    /// Set when the stamp took cur/'s time after our own renames without a scan (`noteOwnRenames`):
    /// looks trust it, but only a scan proves that no other program changed cur/ meanwhile.
    var ownRenamesUnproven = false
    /// Flag renames a change owes, by UID, made by `writeRenamesBehind` (the records already hold the flags).
    var renamesBehind: [UInt32: RenameBehind] = [:]
    /// How many renames this folder's journal named when last written; 0 when none is on disk.
    ///
    /// Any change to what is owed writes it again; the turns only once what is owed has halved.
    var renamesInJournal = 0
    var renameJournalOnDisk: Bool { renamesInJournal > 0 }
    /// Scans of cur/ this folder made (for tests: a look that trusts its stamp makes none).
    private(set) var scans = 0

    var curPath: String { path + "/cur" }
    var newPath: String { path + "/new" }
    var tmpPath: String { path + "/tmp" }
    var lockPath: String { path + "/" + UIDList.lockName }
    var uidValidity: UInt32 { uidList.uidValidity }
    var uidNext: UInt32 { uidList.nextUID }

    /// Opens an existing Maildir folder and takes its first look.
    ///
    /// `newValidity` gives the UIDVALIDITY if the folder has no uidlist yet.
    init(path: String, name: MailboxName, newValidity: () throws -> UInt32) throws {
        guard POSIX.isMaildir(path) else {
            throw MailStoreError.mailboxNotFound(name.description)
        }
        self.path = path
        self.name = name
        Self.replayRenameJournal(folder: path)
        let lock = path + "/" + UIDList.lockName
        cache = MetadataCache(folder: path)
        // The cache is read and parsed on another thread while this one reads the uidlist: after a
        // restart they are the whole cost of opening a big folder, and neither needs the other.
        let cacheContents = BackgroundResult { [cachePath = cache.path] in MetadataCache.read(cachePath) }
        uidList = try POSIX.withExclusiveLock(lock) { try UIDList(folder: path, newValidity: newValidity) }
        keywordList = KeywordList(folder: path)
        cache.adopt(cacheContents.wait(), uidValidity: uidList.uidValidity)
        highestModSeq = max(uidList.modSeqFloor, cache.highestModSeq)
        POSIX.removeStaleFiles(in: path + "/tmp", olderThan: MailStoreDefaults.staleTemporaryFileAge)
        openFromCache()
        _ = try synchronize()
    }

    // MARK: - Looking at the folder

    /// The next mod-sequence (RFC 7162 §3.1), never below the clock in microseconds.
    ///
    /// RFC 7162 3.1: mod-sequences only grow. Using the clock in microseconds as a floor keeps them
    /// growing across restarts even when the cache (where they are kept) is lost.
    mutating func nextModSeq() -> UInt64 {
        let now = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000))
        highestModSeq = max(highestModSeq + 1, now)
        return highestModSeq
    }

    /// Moves new/ into cur/, gives UIDs to files that have none, notices files removed or renamed by
    /// other programs, and returns what changed in the view.
    ///
    /// `proving` scans also when only our own renames were taken on trust (`needsScan`), as settling does.
    mutating func synchronize(proving: Bool = false) throws -> MailboxChanges {
        guard POSIX.isRealDirectory(curPath) else { throw MailStoreError.mailboxNotFound(name.description) }
        if !(proving ? needsScan : directoriesChanged()) {
            var unchanged = MailboxChanges()
            unchanged.uidNext = uidList.nextUID
            unchanged.highestModSeq = highestModSeq
            return unchanged
        }
        // Before anything is read: the folder and its cur/ new/ must not have become symbolic links.
        guard POSIX.isMaildir(path) else { throw MailStoreError.mailboxNotFound(name.description) }
        let scan = try POSIX.withExclusiveLock(lockPath) { () -> Scan in
            // Stamped before anything is read: a change made after that moves a time on (or lands in
            // the same tick, which leaves the stamp untrusted), so the next look does not skip it.
            takeStamp()
            scans += 1
            let moved = try moveNewToCur()
            var listing = try scanCur()
            let reloaded = try uidList.refreshIfChanged()
            keywordList.refreshIfChanged()
            var found = records.map { listing[$0.base] }
            let matched = found.reduce(0) { $1 == nil ? $0 : $0 + 1 }
            // The common case: the view is the whole uidlist and every file is one of its messages.
            if !reloaded, matched == records.count, records.count == uidList.uids.count, listing.count == matched {
                return Scan(listing: listing, found: found, moved: moved, reloaded: false, fresh: [])
            }
            let known = uidList.uids
            // A folder's first scan: every file is fresh, and no name need be looked up.
            var fresh = known.isEmpty ? Array(listing) : listing.compactMap { known[$0.key] == nil ? $0 : nil }
            var wrote = false
            if listing.count - fresh.count < uidList.uids.count {
                // Some listed UID has no file. readdir(3) may skip a file renamed while it runs: look
                // again before calling it gone.
                listing = try scanCur()
                found = records.map { listing[$0.base] }
                fresh = listing.compactMap { uidList.uids[$0.key] == nil ? $0 : nil }
                if listing.count - fresh.count < uidList.uids.count {
                    try uidList.remove(uidList.uids.keys.filter { listing[$0] == nil })
                    wrote = true
                }
            }
            let ordered = Self.inDeliveryOrder(fresh)
            let uids = try uidList.assign(ordered.map(\.key), folderName: name.description)
            if !uids.isEmpty || wrote { noteOwnUIDListWrite() }
            let taken = zip(uids, ordered).map { (uid: $0, base: $1.key, fileName: $1.value) }
            return Scan(listing: listing, found: found, moved: moved, reloaded: reloaded, fresh: taken)
        }
        return apply(scan)
    }

    /// `files` (base → file name) by the seconds their names begin with, then by name: the order in
    /// which they get UIDs, oldest delivery first.
    ///
    /// Numbers are sorted, not the pairs: each file's seconds and position packed in one integer
    /// (sorting 20,000 names makes about 300,000 comparisons, and one of two pairs of strings copied
    /// them, one of two positions through a closure went through two arrays per comparison). Names
    /// delivered in the same second are then put in order by name.
    static func inDeliveryOrder(_ files: [(key: String, value: String)]) -> [(key: String, value: String)] {
        let seconds = files.map { UInt64(MaildirFileName.leadingSeconds(of: $0.key) ?? 0) }
        let positionBits: UInt64 = 24
        var order: [Int]
        if files.count < 1 << positionBits, seconds.allSatisfy({ $0 < 1 << (64 - positionBits) }) {
            var packed = seconds.enumerated().map { $0.element << positionBits | UInt64($0.offset) }
            packed.sort()
            order = packed.map { Int($0 & (1 << positionBits - 1)) }
        } else {
            order = Array(files.indices)
            order.sort { seconds[$0] < seconds[$1] }
        }
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count, seconds[order[end]] == seconds[order[start]] { end += 1 }
            if end - start > 1 { order[start..<end].sort { files[$0].key < files[$1].key } }
            start = end
        }
        return order.map { files[$0] }
    }

    /// What a scan of cur/ found, for `apply`.
    struct Scan {
        /// cur/ as base → file name.
        var listing: [String: String]
        /// The file name of each record in `listing`, nil where it has none.
        var found: [String?]
        /// The bases this scan moved out of new/.
        var moved: Set<String>
        /// Whether another process had rewritten the uidlist (the records' UIDs are checked).
        var reloaded: Bool
        /// The files the uidlist took in during this scan, by ascending UID.
        var fresh: [(uid: UInt32, base: String, fileName: String)]
    }

    /// Moves new mail from new/ to cur/, the Maildir way of taking it in; returns the bases moved.
    ///
    /// Maildir: new/ holds mail nobody has seen; moving it to cur/ (with an empty `:2,` info) is
    /// how a reader takes it in. Returns the bases moved.
    private func moveNewToCur() throws -> Set<String> {
        var moved: Set<String> = []
        for fileName in try POSIX.listDirectory(newPath) {
            let target = fileName.contains(":") ? fileName : fileName + ":2,"
            if rename(newPath + "/" + fileName, curPath + "/" + target) == 0 {
                moved.insert(MaildirFileName(fileName).base)
            } else if errno != ENOENT {
                throw POSIX.error("rename", newPath + "/" + fileName)
            }
        }
        return moved
    }

    /// cur/ as base → file name.
    func scanCur() throws -> [String: String] {
        // Each name is cut by the reader that listed it.
        let files = try SplitListing.map(in: curPath) { (base: MaildirFileName.base(of: $0), fileName: $0) }
        var listing: [String: String] = [:]
        listing.reserveCapacity(files.count)
        for (base, fileName) in files { listing[base] = fileName }
        return listing
    }

    func base(of record: MessageRecord) -> String { record.base }

    /// Turns a scan (its files already in the uidlist) into view changes.
    ///
    /// A scan after another process rewrote the uidlist (`reloaded`) also drops records whose base
    /// changed UID.
    private mutating func apply(_ scan: Scan) -> MailboxChanges {
        let (listing, found, recent, checkUIDs) = (scan.listing, scan.found, scan.moved, scan.reloaded)
        var changes = MailboxChanges()
        var modSeq: UInt64?
        func changeModSeq(_ folder: inout MaildirFolder) -> UInt64 {
            if let modSeq { return modSeq }
            let value = folder.nextModSeq()
            modSeq = value
            return value
        }
        // Gone from disk: expunged by another program or process.
        var kept: [MessageRecord] = []
        kept.reserveCapacity(records.count)
        var matched = 0
        for (record, fileName) in zip(records, found) {
            let recordBase = base(of: record)
            if let fileName, !checkUIDs || uidList.uids[recordBase] == record.uid {
                matched += 1
                var record = record
                if fileName != record.fileName {
                    let parsed = MaildirFileName(fileName)
                    let keywords = keywordNames(parsed)
                    record.fileName = fileName
                    if parsed.flags != record.flags || keywords != record.keywords {
                        record.flags = parsed.flags
                        record.keywords = keywords
                        record.modSeq = changeModSeq(&self)
                        changes.flagsChanged.append(record)
                    }
                    remember(record, base: recordBase)
                }
                kept.append(record)
            } else {
                changes.expunged.append(record.uid)
                uidByBase[recordBase] = nil
                unclaimedRecent.remove(record.uid)
                cache.entries[recordBase] = nil
                cacheDirty = true
            }
        }
        if !changes.expunged.isEmpty { _ = changeModSeq(&self) }
        records = kept
        // New to the view.
        let appended =
            matched < listing.count
            ? takeIn(listing, fresh: scan.fresh, newFiles: listing.count - matched, recent: recent) : []
        if records.isEmpty {
            records = appended  // a first scan: shared, not copied
        } else {
            let needsSort = (records.last?.uid ?? 0) > (appended.first?.uid ?? UInt32.max)
            records.append(contentsOf: appended)
            if needsSort { records.sort { $0.uid < $1.uid } }
        }
        changes.appended = appended
        changes.uidNext = uidList.nextUID
        changes.highestModSeq = highestModSeq
        return changes
    }

    /// The record of the message whose cache entry names its current file, flags and keywords read
    /// from that name in place.
    func record(uid: UInt32, base: String, entry: MetadataCache.Entry) -> MessageRecord {
        Self.record(uid: uid, base: base, entry: entry, keywordList)
    }

    /// `record(uid:base:entry:)` with the folder's keywords given.
    static func record(
        uid: UInt32,
        base: String,
        entry: MetadataCache.Entry,
        _ keywordList: KeywordList
    ) -> MessageRecord {
        let (flags, keywordIndexes) = MaildirFileName.flagsAndKeywords(of: entry.fileName)
        return MessageRecord(
            uid: uid,
            flags: flags,
            keywords: keywordIndexes.isEmpty ? [] : keywordIndexes.compactMap { keywordList.keyword(at: $0) },
            size: entry.crlfSize,
            physicalSize: entry.size,
            internalDate: entry.internalDate.map { Date(timeIntervalSince1970: TimeInterval($0)) },
            modSeq: entry.modSeq,
            fileName: entry.fileName,
            base: base
        )
    }

    mutating func remember(_ record: MessageRecord, base: String) {
        cache.change(base, .init(renamed: (record.fileName, record.modSeq)))
        cacheDirty = true
    }

    func keywordNames(_ parsed: MaildirFileName) -> [String] {
        parsed.keywordIndexes.compactMap { keywordList.keyword(at: $0) }
    }

    func index(of uid: UInt32) -> Int? { Self.index(of: uid, in: records) }

    /// The position of `uid` in `records` (ascending by UID), by binary search.
    static func index(of uid: UInt32, in records: [MessageRecord]) -> Int? {
        var low = 0
        var high = records.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if records[middle].uid == uid { return middle }
            if records[middle].uid < uid { low = middle + 1 } else { high = middle - 1 }
        }
        return nil
    }

    /// Claims the `\Recent` UIDs (RFC 3501 §2.3.2) that no session has claimed yet.
    ///
    /// RFC 3501 2.3.2: `\Recent` belongs to one session. Returns the UIDs nobody claimed yet.
    mutating func claimRecent() -> Set<UInt32> {
        defer { unclaimedRecent = [] }
        return unclaimedRecent
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One Maildir folder's state and the file work behind `Mailbox`: scanning, UID assignment, flag
/// renames, expunge. Synchronous; the `Mailbox` actor runs it on its own Dispatch queue.
///
/// Every change to the set of files that get UIDs happens under an exclusive flock on
/// `correo-uidlist.lock`, which other correo processes take too: directory scans, new → cur moves,
/// UID assignment and expunges. Flag renames need no lock (a missing file is found by the next scan).
struct MaildirFolder {
    let path: String
    let name: MailboxName
    private(set) var uidList: UIDList
    private var keywordList: KeywordList
    private var cache: MetadataCache
    private(set) var cacheDirty = false
    /// The view, sorted by UID.
    private(set) var records: [MessageRecord] = []
    private var uidByBase: [String: UInt32] = [:]
    private(set) var highestModSeq: UInt64 = 0
    /// UIDs this process took out of new/ that no session has claimed as `\Recent` yet.
    private var unclaimedRecent: Set<UInt32> = []
    /// Modification times of new/, cur/ and the uidlist taken as the last scan began.
    private var stamp: [Int64] = []
    /// Whether `stamp` can prove nothing changed: every time in it was at least
    /// `MailStoreDefaults.trustedStampAge` older than the scan. A change in the same clock tick as a
    /// younger stamp could leave the times equal, so a young stamp always means "look again".
    private var stampTrusted = false

    var curPath: String { path + "/cur" }
    var newPath: String { path + "/new" }
    var tmpPath: String { path + "/tmp" }
    var lockPath: String { path + "/" + UIDList.lockName }
    var uidValidity: UInt32 { uidList.uidValidity }
    var uidNext: UInt32 { uidList.nextUID }

    /// Opens an existing Maildir folder and takes its first look. `newValidity` gives the UIDVALIDITY
    /// if the folder has no uidlist yet.
    init(path: String, name: MailboxName, newValidity: () throws -> UInt32) throws {
        guard POSIX.isDirectory(path + "/cur"), POSIX.isDirectory(path + "/new") else {
            throw MailStoreError.mailboxNotFound(name.description)
        }
        self.path = path
        self.name = name
        let lock = path + "/" + UIDList.lockName
        uidList = try POSIX.withExclusiveLock(lock) { try UIDList(folder: path, newValidity: newValidity) }
        keywordList = KeywordList(folder: path)
        cache = MetadataCache(folder: path)
        cache.load(uidValidity: uidList.uidValidity)
        highestModSeq = cache.entries.values.map(\.modSeq).max() ?? 0
        POSIX.removeStaleFiles(in: path + "/tmp", olderThan: MailStoreDefaults.staleTemporaryFileAge)
        _ = try synchronize()
    }

    // MARK: - Looking at the folder

    /// RFC 7162 3.1: mod-sequences only grow. Using the clock in microseconds as a floor keeps them
    /// growing across restarts even when the cache (where they are kept) is lost.
    mutating func nextModSeq() -> UInt64 {
        let now = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000))
        highestModSeq = max(highestModSeq + 1, now)
        return highestModSeq
    }

    /// Whether new/, cur/ or the uidlist may have changed since the last scan (three stats; for polling).
    func directoriesChanged() -> Bool { !stampTrusted || currentStamp() != stamp }

    private func currentStamp() -> [Int64] {
        [newPath, curPath, path + "/" + UIDList.fileName].flatMap { path -> [Int64] in
            guard let info = POSIX.status(path) else { return [-1, -1] }
            return [Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec)]
        }
    }

    private mutating func takeStamp() {
        let now = Date().timeIntervalSince1970
        stamp = currentStamp()
        let limit = now - MailStoreDefaults.trustedStampAge
        stampTrusted = stride(from: 0, to: stamp.count, by: 2).allSatisfy {
            Double(stamp[$0]) + Double(stamp[$0 + 1]) / 1e9 < limit
        }
    }

    /// Moves new/ into cur/, gives UIDs to files that have none, notices files removed or renamed by
    /// other programs, and returns what changed in the view.
    mutating func synchronize() throws -> MailboxChanges {
        guard POSIX.isDirectory(curPath) else { throw MailStoreError.mailboxNotFound(name.description) }
        if !directoriesChanged() {
            var unchanged = MailboxChanges()
            unchanged.uidNext = uidList.nextUID
            unchanged.highestModSeq = highestModSeq
            return unchanged
        }
        let (listing, found, moved, reloaded) = try POSIX.withExclusiveLock(lockPath) {
            () -> ([String: String], [String?], Set<String>, Bool) in
            // Stamped before anything is read: a change made after that moves a time on (or lands in
            // the same tick, which leaves the stamp untrusted), so the next look does not skip it.
            takeStamp()
            let moved = try moveNewToCur()
            var listing = try scanCur()
            let reloaded = try uidList.refreshIfChanged()
            keywordList.refreshIfChanged()
            var found = records.map { listing[$0.base] }
            let matched = found.reduce(0) { $1 == nil ? $0 : $0 + 1 }
            // The common case: the view is the whole uidlist and every file is one of its messages.
            if !reloaded, matched == records.count, records.count == uidList.uids.count, listing.count == matched {
                return (listing, found, moved, false)
            }
            var fresh = listing.keys.filter { uidList.uids[$0] == nil }
            if listing.count - fresh.count < uidList.uids.count {
                // Some listed UID has no file. readdir(3) may skip a file renamed while it runs: look
                // again before calling it gone.
                listing = try scanCur()
                found = records.map { listing[$0.base] }
                fresh = listing.keys.filter { uidList.uids[$0] == nil }
                if listing.count - fresh.count < uidList.uids.count {
                    try uidList.remove(uidList.uids.keys.filter { listing[$0] == nil })
                }
            }
            let ordered = fresh.map { (MaildirFileName($0).deliverySeconds ?? 0, $0) }.sorted { $0 < $1 }.map(\.1)
            _ = try uidList.assign(ordered, folderName: name.description)
            return (listing, found, moved, reloaded)
        }
        return apply(listing: listing, found: found, recent: moved, checkUIDs: reloaded)
    }

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
    private func scanCur() throws -> [String: String] {
        var listing: [String: String] = [:]
        listing.reserveCapacity(records.count + 64)
        for fileName in try POSIX.listDirectory(curPath) {
            listing[MaildirFileName.base(of: fileName)] = fileName
        }
        return listing
    }

    private func base(of record: MessageRecord) -> String { record.base }

    /// Turns a listing (already in the uidlist) into view changes.
    /// `found[i]` is the file name of `records[i]` in `listing`, nil when it has none. `checkUIDs`
    /// (after another process rewrote the uidlist) also drops records whose base changed UID.
    private mutating func apply(
        listing: [String: String],
        found: [String?],
        recent: Set<String>,
        checkUIDs: Bool
    ) -> MailboxChanges {
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
        var appended: [MessageRecord] = []
        for (fileBase, fileName) in listing where matched < listing.count && uidByBase[fileBase] == nil {
            guard let uid = uidList.uids[fileBase],
                let record = makeRecord(uid: uid, base: fileBase, fileName: fileName, recent: recent.contains(fileBase))
            else { continue }
            uidByBase[fileBase] = uid
            if record.isRecent { unclaimedRecent.insert(uid) }
            appended.append(record)
        }
        appended.sort { $0.uid < $1.uid }
        let needsSort = (records.last?.uid ?? 0) > (appended.first?.uid ?? UInt32.max)
        records.append(contentsOf: appended)
        if needsSort { records.sort { $0.uid < $1.uid } }
        changes.appended = appended
        changes.uidNext = uidList.nextUID
        changes.highestModSeq = highestModSeq
        return changes
    }

    /// Builds a record from the cache, the file name, or (for other programs' files) the file itself.
    private mutating func makeRecord(uid: UInt32, base: String, fileName: String, recent: Bool) -> MessageRecord? {
        let parsed = MaildirFileName(fileName)
        var entry = cache.entries[base]
        if entry == nil {
            guard let measured = measure(parsed: parsed, fileName: fileName) else { return nil }
            entry = measured
        }
        guard var entry else { return nil }
        if entry.fileName != fileName || entry.modSeq == 0 {
            entry.fileName = fileName
            entry.modSeq = nextModSeq()
            cache.entries[base] = entry
            cacheDirty = true
        }
        return MessageRecord(
            uid: uid,
            flags: parsed.flags,
            keywords: keywordNames(parsed),
            size: entry.crlfSize,
            physicalSize: entry.size,
            internalDate: Date(timeIntervalSince1970: TimeInterval(entry.internalDate)),
            modSeq: entry.modSeq,
            fileName: fileName,
            isRecent: recent
        )
    }

    /// One stat for the date; sizes without opening the file when the name carries them (`,S=`,
    /// `,W=`), otherwise one read to count bare LFs.
    ///
    /// INTERNALDATE (RFC 3501 2.3.3) is the file's modification time, the Maildir convention Dovecot
    /// and Courier share: their APPEND names the file with the time of the APPEND but sets the mtime
    /// to the date the client gave, so the name's leading seconds are not the internal date.
    private func measure(parsed: MaildirFileName, fileName: String) -> MetadataCache.Entry? {
        let filePath = curPath + "/" + fileName
        guard let info = POSIX.status(filePath) else { return nil }
        var size = parsed.physicalSize ?? Int(info.st_size)
        var crlfSize = parsed.virtualSize
        let date = Int(info.st_mtim.tv_sec)
        if crlfSize == nil {
            guard let bytes = try? POSIX.readFile(filePath) else { return nil }
            size = bytes.count
            crlfSize = bytes.count + LineEnds.bareLineFeeds(in: bytes)
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

    private mutating func remember(_ record: MessageRecord, base: String) {
        guard var entry = cache.entries[base] else { return }
        entry.fileName = record.fileName
        entry.modSeq = record.modSeq
        cache.entries[base] = entry
        cacheDirty = true
    }

    private func keywordNames(_ parsed: MaildirFileName) -> [String] {
        parsed.keywordIndexes.compactMap { keywordList.keyword(at: $0) }
    }

    /// Writes the metadata cache if it changed.
    mutating func saveCache() throws {
        guard cacheDirty else { return }
        try cache.save(uidValidity: uidList.uidValidity)
        cacheDirty = false
    }

    func index(of uid: UInt32) -> Int? {
        var low = 0
        var high = records.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if records[middle].uid == uid { return middle }
            if records[middle].uid < uid { low = middle + 1 } else { high = middle - 1 }
        }
        return nil
    }

    /// RFC 3501 2.3.2: `\Recent` belongs to one session. Returns the UIDs nobody claimed yet.
    mutating func claimRecent() -> Set<UInt32> {
        defer { unclaimedRecent = [] }
        return unclaimedRecent
    }

    // MARK: - Changing messages

    /// RFC 3501 6.4.6 STORE: renames each file with its new `:2,` info. Returns the records of the
    /// UIDs that exist, and those that changed.
    mutating func setFlags(
        uids: [UInt32],
        flags: MessageFlags,
        keywords: [String],
        operation: FlagOperation
    ) throws -> (all: [MessageRecord], changed: [MessageRecord]) {
        for keyword in keywords where !KeywordList.isValid(keyword) { throw MailStoreError.invalidKeyword(keyword) }
        var keywordIndexes: Set<Int> = []
        if operation == .remove {
            keywordList.refreshIfChanged()
            keywordIndexes = Set(keywords.compactMap { keywordList.index(of: $0) })
        } else if !keywords.isEmpty {
            keywordIndexes = try POSIX.withExclusiveLock(lockPath) {
                keywordList.refreshIfChanged()
                return Set(try keywords.map { try keywordList.indexAdding($0, folderName: name.description) })
            }
        }
        var all: [MessageRecord] = []
        var changed: [MessageRecord] = []
        var modSeq: UInt64?
        for uid in Set(uids).sorted() {
            guard let position = index(of: uid) else { continue }
            var record = records[position]
            let parsed = MaildirFileName(record.fileName)
            var newFlags = parsed.flags
            var newKeywords = Set(parsed.keywordIndexes)
            switch operation {
            case .add:
                newFlags.formUnion(flags)
                newKeywords.formUnion(keywordIndexes)
            case .remove:
                newFlags.subtract(flags)
                newKeywords.subtract(keywordIndexes)
            case .replace:
                newFlags = flags
                newKeywords = keywordIndexes
            }
            var letters = parsed.otherLetters
            for (flag, letter) in MessageFlags.letters where newFlags.contains(flag) { letters.append(letter) }
            for index in newKeywords { letters.append(UInt8(ascii: "a") + UInt8(index)) }
            let newName = MaildirFileName(base: parsed.base, infoLetters: letters).fileName
            if newName != record.fileName {
                if rename(curPath + "/" + record.fileName, curPath + "/" + newName) != 0 {
                    if errno == ENOENT { continue }  // renamed or removed meanwhile: the next scan tells
                    throw POSIX.error("rename", curPath + "/" + record.fileName)
                }
                let value = modSeq ?? nextModSeq()
                modSeq = value
                record.fileName = newName
                record.flags = newFlags
                record.keywords = keywordNames(MaildirFileName(newName))
                record.modSeq = value
                records[position] = record
                remember(record, base: parsed.base)
                changed.append(record)
            }
            all.append(record)
        }
        return (all, changed)
    }

    /// RFC 3501 6.4.3 EXPUNGE / RFC 4315 UID EXPUNGE: removes the `\Deleted` messages (all, or
    /// those among `uids`) and returns their UIDs.
    mutating func expunge(uids: [UInt32]?) throws -> [UInt32] {
        let allowed = uids.map(Set.init)
        let targets = records.filter { $0.flags.contains(.deleted) && (allowed?.contains($0.uid) ?? true) }
        guard !targets.isEmpty else { return [] }
        try POSIX.withExclusiveLock(lockPath) {
            var listing: [String: String]?
            for record in targets {
                if unlink(curPath + "/" + record.fileName) != 0 {
                    guard errno == ENOENT else { throw POSIX.error("unlink", curPath + "/" + record.fileName) }
                    // Renamed by another program since our last look: find it by its base.
                    if listing == nil { listing = try scanCur() }
                    if let current = listing?[base(of: record)] { try POSIX.unlink(curPath + "/" + current) }
                }
            }
            try POSIX.syncDirectory(curPath)
            try uidList.remove(targets.map { base(of: $0) })
        }
        let removed = Set(targets.map(\.uid))
        for record in targets {
            let recordBase = base(of: record)
            uidByBase[recordBase] = nil
            cache.entries[recordBase] = nil
            unclaimedRecent.remove(record.uid)
        }
        records.removeAll { removed.contains($0.uid) }
        cacheDirty = true
        _ = nextModSeq()
        return targets.map(\.uid)
    }

    /// A file made ready to enter this folder: a path to hard-link (or copy) and what to name it by.
    struct Incoming {
        var sourcePath: String
        var size: Int
        var crlfSize: Int
        var internalDate: Date
        var flags: MessageFlags
        var keywords: [String]
        var otherLetters: [UInt8] = []
    }

    /// Links (or copies) files into cur/ under the folder lock, gives them UIDs, and fsyncs cur/
    /// so they are durable. Returns the UIDs in order. The caller then synchronizes to see them.
    mutating func add(_ files: [Incoming]) throws -> [UInt32] {
        for file in files {
            for keyword in file.keywords where !KeywordList.isValid(keyword) {
                throw MailStoreError.invalidKeyword(keyword)
            }
        }
        return try POSIX.withExclusiveLock(lockPath) {
            try uidList.refreshIfChanged()
            keywordList.refreshIfChanged()
            var bases: [String] = []
            var linked: [String] = []
            do {
                for file in files {
                    var letters = file.otherLetters
                    for (flag, letter) in MessageFlags.letters where file.flags.contains(flag) {
                        letters.append(letter)
                    }
                    for keyword in file.keywords {
                        letters.append(
                            UInt8(ascii: "a")
                                + UInt8(try keywordList.indexAdding(keyword, folderName: name.description))
                        )
                    }
                    let base = try placeFile(file, letters: letters)
                    bases.append(base.base)
                    linked.append(base.path)
                }
                try POSIX.syncDirectory(curPath)
                return try uidList.assign(bases, folderName: name.description)
            } catch {
                for path in linked { unlink(path) }
                throw error
            }
        }
    }

    /// Hard-links `file` into cur/ with a fresh unique name, copying through tmp/ when linking is
    /// impossible (another file system). Returns the base and the new path.
    private func placeFile(_ file: Incoming, letters: [UInt8]) throws -> (base: String, path: String) {
        while true {
            let base = MaildirFileName.uniqueBase(date: file.internalDate, size: file.size, crlfSize: file.crlfSize)
            let target = curPath + "/" + MaildirFileName(base: base, infoLetters: letters).fileName
            if link(file.sourcePath, target) == 0 { return (base, target) }
            switch errno {
            case EEXIST: continue
            case EXDEV, EPERM, EMLINK:
                let bytes = try POSIX.readFile(file.sourcePath)
                let temporary = tmpPath + "/" + base
                try MaildirFolder.writeDurably(bytes, to: temporary, modified: file.internalDate)
                defer { unlink(temporary) }
                if link(temporary, target) == 0 { return (base, target) }
                if errno == EEXIST { continue }
                throw POSIX.error("link", target)
            default:
                throw POSIX.error("link", target)
            }
        }
    }

    /// Writes a new file (0600), sets its modification time, and fsyncs it.
    static func writeDurably(_ bytes: [UInt8], to path: String, modified: Date?) throws {
        let fd = try POSIX.open(path, O_WRONLY | O_CREAT | O_EXCL)
        do {
            try POSIX.writeAll(fd, bytes, path: path)
            if let modified {
                let seconds = modified.timeIntervalSince1970
                var times = [
                    timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0),
                ]
                futimens(fd, &times)
            }
            try POSIX.fsync(fd, path: path)
            close(fd)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
    }

    /// What `add` needs to copy `record` from this folder into another.
    func incoming(for record: MessageRecord) -> Incoming {
        let parsed = MaildirFileName(record.fileName)
        return Incoming(
            sourcePath: curPath + "/" + record.fileName,
            size: record.physicalSize,
            crlfSize: record.size,
            internalDate: record.internalDate,
            flags: record.flags,
            keywords: record.keywords,
            otherLetters: parsed.otherLetters
        )
    }

    // MARK: - Reading

    func filePath(uid: UInt32) -> String? {
        index(of: uid).map { curPath + "/" + records[$0].fileName }
    }

    /// The message with CRLF line ends (RFC 3501 serves messages so), exactly as stored when it
    /// already has them.
    func read(uid: UInt32) throws -> [UInt8] {
        guard let position = index(of: uid) else { throw MailStoreError.messageNotFound(uid: uid) }
        let record = records[position]
        let bytes = try POSIX.readFile(curPath + "/" + record.fileName)
        return record.needsCRLFConversion ? LineEnds.crlf(bytes) : bytes
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
            let view = record.needsCRLFConversion ? LineEnds.crlf(prefix) : prefix
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

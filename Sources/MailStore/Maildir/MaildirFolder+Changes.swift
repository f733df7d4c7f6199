import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Changing messages: flags, expunge, and new files (APPEND, COPY).
extension MaildirFolder {
    /// Gives each message its new `:2,` flag info (RFC 3501 §6.4.6 STORE): renames its file now, or,
    /// `behind`, changes its record and owes the rename (`MaildirFolder+RenamesBehind.swift`).
    ///
    /// RFC 3501 6.4.6 STORE. Returns the records of the UIDs that exist, and those that changed.
    mutating func setFlags(
        uids: [UInt32],
        flags: MessageFlags,
        keywords: [String],
        operation: FlagOperation,
        behind: Bool = false
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
        let many = uids.count >= MailStoreDefaults.sideBySideStatThreshold
        for uid in Set(uids).sorted() {
            guard let position = index(of: uid) else { continue }
            var record = records[position]
            // A rename still owed names the flags the record has: the change starts from that name,
            // and replaces it (a flag set and cleared again before its rename costs none).
            var owed = renamesBehind[uid]
            if owed?.from != record.fileName { owed = nil }
            let current = owed?.to ?? record.fileName
            let newName = Self.renamed(current, flags, keywordIndexes, operation)
            if newName != current {
                let value = modSeq ?? nextModSeq()
                modSeq = value
                let parsed = MaildirFileName(newName)
                record.flags = parsed.flags
                record.keywords = keywordNames(parsed)
                record.modSeq = value
                records[position] = record
                owed =
                    newName == record.fileName
                    ? nil : RenameBehind(uid: uid, from: record.fileName, to: newName, many: many)
                changed.append(record)
            }
            renamesBehind[uid] = owed
            all.append(record)
        }
        if changed.isEmpty { return (all, changed) }
        let reverted: [MessageRecord]
        if behind {
            // Behind the answer when the journal says what is owed; else everything owed is made now.
            reverted = rewriteRenameJournal()
            if !renamesBehind.isEmpty { return (all, changed) }
        } else {
            // This change's renames only (another change's owed renames keep their turns); a journal
            // that names a rename this change replaced or cancelled is written again.
            let mine = Set(changed.map(\.uid)).filter { renamesBehind[$0] != nil }
            if !mine.isEmpty {
                reverted = writeRenamesBehind(uids: mine, rewritingJournal: true)
            } else {
                reverted = renameJournalOnDisk ? rewriteRenameJournal() : []
            }
        }
        if let failed = reverted.first { throw POSIX.error("rename", curPath + "/" + failed.fileName) }
        // The records now name their new files.
        all = all.map { index(of: $0.uid).map { records[$0] } ?? $0 }
        changed = changed.map { index(of: $0.uid).map { records[$0] } ?? $0 }
        return (all, changed)
    }

    /// The file name `fileName` takes when `operation` applies `flags` and the keyword letters.
    private static func renamed(
        _ fileName: String,
        _ flags: MessageFlags,
        _ keywordIndexes: Set<Int>,
        _ operation: FlagOperation
    ) -> String {
        let parsed = MaildirFileName(fileName)
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
        return MaildirFileName(base: parsed.base, infoLetters: letters).fileName
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

    /// Links files into cur/ under the folder lock, gives them UIDs, and makes them durable.
    ///
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
                let uids = try uidList.assign(bases, folderName: name.description)
                // The sizes and the date are in hand: the scan that takes the files in need not measure them.
                for (base, file) in zip(bases, files) {
                    cache.entries[base] = MetadataCache.Entry(
                        fileName: "",
                        size: file.size,
                        crlfSize: file.crlfSize,
                        internalDate: Int(file.internalDate.timeIntervalSince1970),
                        modSeq: 0,
                        headerLength: -1
                    )
                }
                cacheDirty = true
                return uids
            } catch {
                for path in linked { unlink(path) }
                throw error
            }
        }
    }

    /// Hard-links `file` into cur/ under a fresh unique name; returns its base and path.
    ///
    /// It copies through tmp/ when linking is impossible (another file system).
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

    /// What `add` needs to copy `record` from this folder into another (its date read before, or
    /// the seconds its name begins with).
    func incoming(for record: MessageRecord) -> Incoming {
        let parsed = MaildirFileName(record.fileName)
        let internalDate = record.internalDate ?? Date(timeIntervalSince1970: TimeInterval(parsed.deliverySeconds ?? 0))
        return Incoming(
            sourcePath: curPath + "/" + record.fileName,
            size: record.physicalSize,
            crlfSize: record.size,
            internalDate: internalDate,
            flags: record.flags,
            keywords: record.keywords,
            otherLetters: parsed.otherLetters
        )
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Flag renames written behind the answer: a STORE changes the records and writes a journal of the
/// renames it owes, the session gets its answer, and the renames follow on the mailbox's queue.
///
/// A STORE on 1,000 of 20,000 messages was 1,000 renames in one directory, one after another under
/// its lock (~17 µs each, more after a restart while cur/'s blocks are read back): nearly all of the
/// command's time. Every session of this process sees the new flags at once (they read the records),
/// and a file keeps its old name until its rename, so a reader of the records always finds the file
/// a record names. Other programs reading the Maildir see the flags when the renames land, a few
/// milliseconds later.
///
/// The journal, `correo-renames` beside cur/, is written (not fsynced, as the renames are not) before
/// the answer and removed after the renames: a process that dies in between leaves it, and the next
/// open of the folder makes the renames it names. Every change to what is owed writes it again, so
/// it never names a rename replaced or cancelled; the turns write it again only once what is owed
/// has halved (a journal rewritten after each turn of `STORE 1:*` on 20,000 messages was ~300 MB),
/// so it may name renames made already: their old names are gone, and a replay skips them. Writing the journal and replaying it hold the
/// folder's lock, so a replay never reads one journal while the next is written; a replay racing the
/// renames of a process still alive makes the same renames, and that process takes them as made.
extension MaildirFolder {
    /// One rename owed: the message `uid`, from the name its file has to the one its flags give.
    struct RenameBehind: Equatable {
        var uid: UInt32
        var from: String
        var to: String
        /// Owed by a change of many messages: its files are stat'ed side by side before the renames
        /// (`statSideBySide`), turn after turn, the last turn's few included.
        var many = false
    }

    static let renameJournalName = "correo-renames"

    var renameJournalPath: String { path + "/" + Self.renameJournalName }

    /// Writes the journal of the renames owed (all of them: a change may have replaced or cancelled
    /// one the last journal named, a turn may have made some), or removes it when none is; returns
    /// whether the journal says what is owed.
    @discardableResult
    mutating func journalRenamesBehind() -> Bool {
        let journal = renameJournalPath
        var bytes: [UInt8] = []
        bytes.reserveCapacity(renamesBehind.count * 128)
        // NUL after each name: the one byte no file name holds.
        for rename in renamesBehind.values {
            bytes.append(contentsOf: rename.from.utf8)
            bytes.append(0)
            bytes.append(contentsOf: rename.to.utf8)
            bytes.append(0)
        }
        let written: Bool? = try? POSIX.withExclusiveLock(lockPath) {
            if bytes.isEmpty { return (try? POSIX.unlink(journal)) != nil }
            let fd = Glibc.open(journal, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            return (try? POSIX.writeAll(fd, bytes, path: journal)) != nil
        }
        guard written == true else { return false }
        renamesInJournal = renamesBehind.count
        return true
    }

    /// Makes the `count` renames owed with the lowest UIDs (the order the files came in), and writes
    /// the journal again once what is owed has halved since it was written (removes it once none is);
    /// returns the records whose rename failed for a reason other than a file gone, their flags taken
    /// back from their file names.
    ///
    /// A file gone (expunged or renamed by another program since) is left to the next scan, which
    /// the changed time of cur/ brings; a file already renamed by another process's replay of the
    /// journal is taken as renamed.
    mutating func writeRenamesBehind(count: Int = .max) -> [MessageRecord] {
        guard !renamesBehind.isEmpty else { return [] }
        return writeRenamesBehind(uids: Self.lowest(count, of: renamesBehind.keys))
    }

    /// Makes the renames owed for `uids` (those with none are skipped), as `writeRenamesBehind(count:)`;
    /// `rewritingJournal` writes the journal again whatever is left (a change replaced or cancelled
    /// renames it may name).
    mutating func writeRenamesBehind(uids: some Sequence<UInt32>, rewritingJournal: Bool = false) -> [MessageRecord] {
        let owed = uids.compactMap { renamesBehind.removeValue(forKey: $0) }
        guard !owed.isEmpty else { return [] }
        let stampHeld = !directoriesChanged()
        var reverted = rename(owed, sideBySide: owed.contains(where: \.many))
        let halved = renamesBehind.count * 2 <= renamesInJournal
        noteOwnRenames(stampHeld: stampHeld)
        if renameJournalOnDisk, rewritingJournal || halved { reverted += rewriteRenameJournal() }
        return reverted
    }

    /// Writes the journal again; when it cannot be written, removes it and makes every rename owed
    /// now, returning the records whose rename failed (as `writeRenamesBehind`).
    ///
    /// The journal left as it was could name a rename a change has since replaced or cancelled, and a
    /// replay after a crash would make it: the user's change undone. Without a journal, an owed rename
    /// would be lost by a crash instead; made now, neither happens.
    mutating func rewriteRenameJournal() -> [MessageRecord] {
        if journalRenamesBehind() { return [] }
        let journal = renameJournalPath
        try? POSIX.withExclusiveLock(lockPath) { try? POSIX.unlink(journal) }
        renamesInJournal = 0
        return writeRenamesBehind(uids: Array(renamesBehind.keys))
    }

    /// The `count` lowest of `uids`, ascending, without sorting them all: a turn of 64 out of 20,000
    /// owed sorted every key, turn after turn.
    static func lowest(_ count: Int, of uids: some Collection<UInt32>) -> [UInt32] {
        guard count > 0 else { return [] }
        guard count < uids.count else { return uids.sorted() }
        var kept: [UInt32] = []
        kept.reserveCapacity(count * 2)
        var bound = UInt32.max  // the highest kept at the last cut: anything above it is not wanted
        for uid in uids where uid <= bound {
            kept.append(uid)
            guard kept.count >= count * 2 else { continue }
            kept.sort()
            kept.removeLast(kept.count - count)
            bound = kept[count - 1]
        }
        kept.sort()
        return Array(kept.prefix(count))
    }

    private mutating func rename(_ owed: [RenameBehind], sideBySide: Bool) -> [MessageRecord] {
        // Relative to an open cur/: a path from the root is walked twice per rename otherwise.
        let directory = Glibc.open(curPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        defer { if directory >= 0 { close(directory) } }
        let (at, prefix) = directory >= 0 ? (directory, "") : (AT_FDCWD, curPath + "/")
        if sideBySide { statSideBySide(owed.compactMap { index(of: $0.uid) }) }
        var reverted: [MessageRecord] = []
        for rename in owed {
            guard let position = index(of: rename.uid), records[position].fileName == rename.from else { continue }
            if renameat(at, prefix + rename.from, at, prefix + rename.to) != 0 {
                guard errno == ENOENT else {
                    reverted.append(revertFlags(at: position))
                    continue
                }
                // Gone, or renamed by another program: the next scan tells. Unless another process's
                // replay of the journal made this very rename.
                var info = Glibc.stat()
                guard fstatat(at, prefix + rename.to, &info, 0) == 0 else { continue }
            }
            records[position].fileName = rename.to
            remember(records[position], base: records[position].base)
        }
        return reverted
    }

    /// Takes a record's flags and keywords back from its file's name, as a new change.
    private mutating func revertFlags(at position: Int) -> MessageRecord {
        let parsed = MaildirFileName(records[position].fileName)
        records[position].flags = parsed.flags
        records[position].keywords = keywordNames(parsed)
        records[position].modSeq = nextModSeq()
        return records[position]
    }

    /// Makes the renames a journal left by a process that stopped before them names, and removes it.
    ///
    /// Called when a folder is opened, before anything is read. Only a rename within cur/ that keeps
    /// the message's base is made, and never over an existing file.
    static func replayRenameJournal(folder path: String) {
        let journal = path + "/" + renameJournalName
        guard POSIX.fileExists(journal) else { return }
        let cur = path + "/cur/"
        try? POSIX.withExclusiveLock(path + "/" + UIDList.lockName) {
            guard let bytes = try? POSIX.readFile(journal) else { return }
            // The last piece is what follows the last NUL: empty, or a name cut short by a crash.
            let names = bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
                String(decoding: $0, as: UTF8.self)
            }
            for pair in stride(from: 0, to: names.count - 1, by: 2) {
                let (from, to) = (names[pair], names[pair + 1])
                guard Self.isPlainName(from), Self.isPlainName(to), from != to,
                    MaildirFileName(from).base == MaildirFileName(to).base, !POSIX.fileExists(cur + to)
                else { continue }
                _ = Glibc.rename(cur + from, cur + to)  // gone since: the scan tells
            }
            try? POSIX.unlink(journal)
        }
    }

    private static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.utf8.contains(UInt8(ascii: "/"))
    }
}

import Foundation
import MailCore

/// A Maildir folder being filled with another store's messages, each keeping what it had there.
///
/// Each message keeps its UID, flags, keywords, INTERNALDATE (the file's mtime), mod-sequence and bytes
/// (`correo migrate` from PostgreSQL). Made by `MailStore.importMailbox`.
///
/// Each message is written to tmp/, fsynced and renamed into cur/ under a new unique name whose info
/// carries its flags and keyword letters (`dovecot-keywords`, as APPEND would). `finish()` then writes
/// the mod-sequences (the metadata cache) and, last, the uidlist with the given UIDVALIDITY, UIDNEXT and
/// UIDs, atomically: until then the folder has no UIDs, so it must not be opened before. The file work
/// runs on MailStore's blocking-I/O threads, never on Swift's cooperative pool.
public struct MaildirFolderImport: Sendable {
    let path: String
    let name: MailboxName
    let uidValidity: UInt32
    let uidNext: UInt32
    private var uids: [String: UInt32] = [:]
    private var modSeqs: [String: (fileName: String, size: Int, crlfSize: Int, date: Int, modSeq: UInt64)] = [:]
    private var lastUID: UInt32 = 0

    init(path: String, name: MailboxName, uidValidity: UInt32, uidNext: UInt32) {
        self.path = path
        self.name = name
        self.uidValidity = uidValidity
        self.uidNext = uidNext
    }

    /// Writes one message durably; UIDs must ascend (as the source lists them).
    public mutating func add(
        _ bytes: [UInt8],
        uid: UInt32,
        flags: MessageFlags,
        keywords: [String],
        internalDate: Date,
        modSeq: UInt64
    ) async throws {
        guard uid > lastUID else { throw MailStoreError.corruptFile(path: path, reason: "UID \(uid) out of order") }
        for keyword in keywords where !KeywordList.isValid(keyword) { throw MailStoreError.invalidKeyword(keyword) }
        let (path, name) = (path, name)
        let crlfSize = bytes.count + LineEnds.bareLineFeedCount(in: bytes)
        let (base, fileName) = try await BlockingIO.run {
            // Under the folder lock, as `MaildirFolder.add` gives keywords their letters.
            try POSIX.withExclusiveLock(path + "/" + UIDList.lockName) { () throws -> (String, String) in
                var letters: [UInt8] = []
                for (flag, letter) in MessageFlags.letters where flags.contains(flag) { letters.append(letter) }
                var keywordList = KeywordList(folder: path)
                for keyword in keywords {
                    let index = try keywordList.indexAdding(keyword, folderName: name.description)
                    letters.append(UInt8(ascii: "a") + UInt8(index))
                }
                let base = MaildirFileName.uniqueBase(date: internalDate, size: bytes.count, crlfSize: crlfSize)
                let fileName = MaildirFileName(base: base, infoLetters: letters).fileName
                let temporary = path + "/tmp/" + base
                try MaildirFolder.writeDurably(bytes, to: temporary, modified: internalDate)
                try POSIX.rename(temporary, path + "/cur/" + fileName)
                return (base, fileName)
            }
        }
        uids[base] = uid
        modSeqs[base] = (fileName, bytes.count, crlfSize, Int(internalDate.timeIntervalSince1970), modSeq)
        lastUID = uid
    }

    /// Makes the files' names durable, then writes the cache and the uidlist; `highestModSeq` is the
    /// source's HIGHESTMODSEQ, kept in the uidlist as a floor so that the folder's is never lower.
    public func finish(highestModSeq: UInt64) async throws {
        try await BlockingIO.run { [self] in try write(highestModSeq: highestModSeq) }
    }

    private func write(highestModSeq: UInt64) throws {
        try POSIX.syncDirectory(path + "/cur")
        var cache = MetadataCache(folder: path)
        for (base, entry) in modSeqs {
            cache.entries[base] = MetadataCache.Entry(
                fileName: entry.fileName,
                size: entry.size,
                crlfSize: entry.crlfSize,
                internalDate: entry.date,
                modSeq: entry.modSeq,
                headerLength: -1
            )
        }
        try cache.save(uidValidity: uidValidity)
        let next = max(uidNext, lastUID == UInt32.max ? lastUID : lastUID + 1)
        try POSIX.withExclusiveLock(path + "/" + UIDList.lockName) {
            // RFC 7162 3.1.2: HIGHESTMODSEQ never goes down; the source's may be above every message's
            // (an expunge raised it, or the mailbox is empty), so the uidlist keeps it as a floor.
            try UIDList.write(
                path + "/" + UIDList.fileName,
                uidValidity: uidValidity,
                nextUID: next,
                modSeqFloor: highestModSeq,
                uids: uids
            )
        }
    }
}

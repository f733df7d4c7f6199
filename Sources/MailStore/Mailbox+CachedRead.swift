import MailCore
import MailStorage

extension Mailbox {
    /// Message `uid` read on the caller's thread, with no hop onto the mailbox's queue, when its record
    /// is published and its file is in memory; nil otherwise, and the caller asks the queue.
    ///
    /// A client reading bodies one command at a time pays two thread wake-ups per message for the hop
    /// (the queue's thread, then the event loop's), more than a cached read costs. The record is the
    /// mailbox's current one or none (`PublishedRecords`: withdrawn before every change, published again
    /// by a one-message read on the queue). The file is read only if its path and every byte are cached
    /// (`POSIX.readFileIfCached`), so an event loop never waits on the disk here; a cold file, a message
    /// over `MailStoreDefaults.cachedReadMostBytes` or a date not read yet goes to the queue. Read-ahead
    /// sees these reads as it sees the queue's.
    public nonisolated func messageIfCached(
        uid: UInt32,
        withInternalDates: Bool
    ) -> (message: MailboxMessage, bytes: [UInt8])? {
        guard let folder = published.current, let record = folder.record(uid: uid) else { return nil }
        guard !withInternalDates || record.internalDate != nil,
            record.physicalSize <= MailStoreDefaults.cachedReadMostBytes
        else { return nil }
        noteWholeReads([uid], curPath: folder.curPath, records: folder.records)
        let path = folder.curPath + "/" + record.fileName
        guard let raw = POSIX.readFileIfCached(path, mostBytes: MailStoreDefaults.cachedReadMostBytes) else {
            return nil
        }
        bodyReads.offTheQueue.add(1, ordering: .relaxed)
        return (record.message, record.needsCRLFConversion ? LineEnds.normalizedToCRLF(raw) : raw)
    }
}

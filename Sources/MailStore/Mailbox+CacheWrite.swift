import Dispatch
import Foundation
import Logging

/// Writing `correo-cache` and `correo-derived`: the mailbox copies what they hold on its own queue
/// (the dictionaries are shared, not copied, until changed) and a writer of its own turns the copies
/// into files, so a session's SELECT does not wait behind a file being written.
///
/// A session that logs out flushes the caches; the next client's SELECT, a moment later, used to
/// wait for that write (tens of milliseconds on a 20,000-message folder) and now does not.
extension Mailbox {
    /// Whether the folder opened line beside line and nothing asked for its cache's table (for tests).
    var cacheTableUnbuilt: Bool { folder?.cache.linesAsRead.isEmpty == false }

    /// Writes the caches `delay` from now, or sooner if a write is already due sooner, once clients
    /// pause (`writeCacheWhenQuiet`); nothing when they have not changed.
    func scheduleCacheWrite(after delay: Duration = MailStoreDefaults.cacheWriteDelay) {
        guard folder?.cacheDirty == true || derived.dirty else { return }
        let due = ContinuousClock.now + delay
        if cacheWriteScheduled, cacheWriteDue <= due { return }
        cacheWriteScheduled = true
        cacheWriteDue = due
        writeCacheLater(at: due)
    }

    private func writeCacheLater(at instant: ContinuousClock.Instant) {
        Task { [weak self] in
            try? await Task.sleep(until: instant)
            await self?.writeCacheWhenQuiet()
        }
    }

    /// Writes the caches once no client has asked anything for `settleDelay`, or `settleLongestWait`
    /// after the write was due.
    ///
    /// A session that logs out has its caches written; the next client, a moment later, would have
    /// its commands share the machine with that write (17 MB of header sections after a first header
    /// sync). A write left for a pause costs nobody. A stopping server writes every cache at once
    /// (`MailStore.writeCaches`), so only a crash in between loses the write: a rebuild, not data.
    private func writeCacheWhenQuiet() async {
        let now = ContinuousClock.now
        // Written meanwhile, or moved to a later due by a newer schedule: that one's task writes.
        guard cacheWriteScheduled, now >= cacheWriteDue else { return }
        noteReadsOffTheQueue()
        let quiet = min(lastActivity + settleDelay, cacheWriteDue + settleLongestWait)
        if quiet > now { return writeCacheLater(at: quiet) }
        await writeCache()
    }

    /// Writes the caches now if they changed (they are also written a moment after changes), and
    /// returns once the files are written: this write and any still under way (a server stopping
    /// right after a session's flush must not exit before that flush reaches the disk).
    public func writeCache() async {
        writeRenamesBehind()
        cacheWriteScheduled = false
        guard let current = folder else { return await writesFinished() }
        let metadata = current.cacheDirty ? current.cache : nil
        let view = metadata != nil ? current.records : []
        if metadata != nil { folder?.cacheDirty = false }
        var derivedCopy: DerivedCache?
        if derived.dirty {
            let known = folder?.uidByBase ?? [:]
            derived.prune { known[$0] != nil }
            derivedCopy = derived
            derived.dirty = false
        }
        guard metadata != nil || derivedCopy != nil else { return await writesFinished() }
        let (logger, name, uidValidity, derivedToWrite) = (logger, name, current.uidValidity, derivedCopy)
        let order = derivedCopy != nil ? current.records : []
        let (metadataWritten, derivedWritten) = await withCheckedContinuation { continuation in
            // Handed to the writer here, on the mailbox's queue: the writes run in the order their
            // copies were taken, and an older copy never replaces a newer file.
            cacheWriter.async {
                continuation.resume(
                    returning: (
                        Self.write("metadata cache", logger, name) {
                            try metadata?.save(uidValidity: uidValidity, inOrderOf: view)
                        },
                        Self.write("derived cache", logger, name) {
                            try derivedToWrite?.write(uidValidity: uidValidity, inOrderOf: order.lazy.map(\.base))
                        }
                    )
                )
            }
        }
        // Marked changed again, so the next change writes them; nothing is lost but the time.
        if !metadataWritten { folder?.cacheDirty = true }
        if !derivedWritten { derived.dirty = true }
    }

    /// Returns once the writes handed to the writer before are done (it runs them in order).
    private func writesFinished() async {
        await withCheckedContinuation { continuation in cacheWriter.async { continuation.resume() } }
    }

    /// Runs one file's write; logs and returns false if it failed.
    private static func write(
        _ file: String,
        _ logger: Logger,
        _ mailbox: MailboxName,
        _ body: () throws -> Void
    ) -> Bool {
        do {
            try body()
            return true
        } catch {
            logger.warning("\(file) not written", metadata: ["mailbox": "\(mailbox)", "error": "\(error)"])
            return false
        }
    }
}

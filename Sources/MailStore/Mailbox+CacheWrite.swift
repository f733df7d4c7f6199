import Dispatch
import Foundation

/// Writing `correo-cache` and `correo-derived`: the mailbox copies what they hold on its own queue
/// (the dictionaries are shared, not copied, until changed) and a writer of its own turns the copies
/// into files, so a session's SELECT does not wait behind a file being written.
///
/// A session that logs out flushes the caches; the next client's SELECT, a moment later, used to
/// wait for that write (tens of milliseconds on a 20,000-message folder) and now does not.
extension Mailbox {
    func scheduleCacheWrite() {
        guard folder?.cacheDirty == true || derived.dirty, !cacheWriteScheduled else { return }
        cacheWriteScheduled = true
        Task { [weak self] in
            try? await Task.sleep(for: MailStoreDefaults.cacheWriteDelay)
            await self?.writeCache()
        }
    }

    /// Writes the caches now if they changed (they are also written a moment after changes), and
    /// returns once the files are written: this write and any still under way (a server stopping
    /// right after a session's flush must not exit before that flush reaches the disk).
    public func writeCache() async {
        cacheWriteScheduled = false
        guard let current = folder else { return await writesFinished() }
        let metadata = current.cacheDirty ? current.cache : nil
        if metadata != nil { folder?.cacheDirty = false }
        var derivedCopy: DerivedCache?
        if derived.dirty {
            let known = current.uidByBase
            derived.prune { known[$0] != nil }
            derivedCopy = derived
            derived.dirty = false
        }
        guard metadata != nil || derivedCopy != nil else { return await writesFinished() }
        let (metadataWritten, derivedWritten) = await write(
            metadata,
            derivedCopy,
            uidValidity: current.uidValidity
        )
        // Marked changed again, so the next change writes them; nothing is lost but the time.
        if !metadataWritten { folder?.cacheDirty = true }
        if !derivedWritten { derived.dirty = true }
    }

    /// Returns once the writes asked for before are done (the writer runs them in order).
    private nonisolated func writesFinished() async {
        await withCheckedContinuation { continuation in cacheWriter.async { continuation.resume() } }
    }

    /// Writes the copies on `cacheWriter`; returns whether each was written (or not asked for).
    ///
    /// One mailbox's writes run in the order they were asked for: an older copy never replaces a
    /// newer file.
    private nonisolated func write(
        _ metadata: MetadataCache?,
        _ derived: DerivedCache?,
        uidValidity: UInt32
    ) async -> (Bool, Bool) {
        let (logger, name) = (logger, name)
        return await withCheckedContinuation { continuation in
            cacheWriter.async {
                // The writing itself yields to clients (`LowPriorityThread`); this queue keeps the order.
                let written = LowPriorityThread.shared.run { () -> (Bool, Bool) in
                    func attempt(_ file: String, _ body: () throws -> Void) -> Bool {
                        do {
                            try body()
                            return true
                        } catch {
                            logger.warning(
                                "\(file) not written",
                                metadata: ["mailbox": "\(name)", "error": "\(error)"]
                            )
                            return false
                        }
                    }
                    return (
                        attempt("metadata cache") { try metadata?.save(uidValidity: uidValidity) },
                        attempt("derived cache") { try derived?.write(uidValidity: uidValidity) }
                    )
                }
                continuation.resume(returning: written)
            }
        }
    }
}

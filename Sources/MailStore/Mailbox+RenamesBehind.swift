import Foundation

/// Flag renames written behind a STORE's answer (`MaildirFolder+RenamesBehind.swift`): made on the
/// mailbox's queue a turn at a time (`MailStoreDefaults.renamesBehindPerTurn`), starting right after
/// the change, so that what sessions ask meanwhile (the STORE's own look first) waits for one turn,
/// not for all the renames.
extension Mailbox {
    /// Queues a turn behind this call, unless one is queued: the caller answers while the files are
    /// renamed, and one turn at a time is queued, however many changes owe renames.
    func scheduleRenamesBehind() {
        guard !renameTurnQueued else { return }
        renameTurnQueued = true
        Task { self.renameTurn() }
    }

    /// One turn; the next is queued behind whatever was asked during this one.
    private func renameTurn() {
        renameTurnQueued = false
        writeRenamesBehind(count: MailStoreDefaults.renamesBehindPerTurn)
        if folder?.renamesBehind.isEmpty == false { scheduleRenamesBehind() }
    }

    /// Makes up to `count` of the flag renames changes owe (all, by default: a stopping server, a
    /// folder about to move); a rename that failed takes its message's flags back, and the sessions
    /// are told.
    func writeRenamesBehind(count: Int = .max) {
        writeRenamesBehind { $0.writeRenamesBehind(count: count) }
    }

    /// Makes the flag renames owed for `uids` (a COPY's), as `writeRenamesBehind(count:)`.
    func writeRenamesBehind(uids: [UInt32]) {
        writeRenamesBehind { $0.writeRenamesBehind(uids: uids) }
    }

    private func writeRenamesBehind(_ write: (inout MaildirFolder) -> [MessageRecord]) {
        guard var current = folder, !current.renamesBehind.isEmpty else { return }
        folder = nil  // keep `current` the only reference, so changing it does not copy the records
        let reverted = write(&current)
        folder = current
        scheduleCacheWrite()
        // The renames moved cur/'s time: the next look would list it again.
        scheduleSettle()
        guard !reverted.isEmpty else { return }
        logger.warning(
            "flag renames failed; flags taken back",
            metadata: ["mailbox": "\(name)", "messages": "\(reverted.count)"]
        )
        var changes = MailboxChanges()
        changes.flagsChanged = reverted
        changes.uidNext = uidNext
        changes.highestModSeq = highestModSeq
        publish(changes)
    }
}

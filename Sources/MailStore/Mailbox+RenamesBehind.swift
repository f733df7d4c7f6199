import Foundation

/// Flag renames written behind a STORE's answer (`MaildirFolder+RenamesBehind.swift`): made on the
/// mailbox's queue a turn at a time, starting right after the change, so that what sessions ask
/// meanwhile (the STORE's own look first) waits for one turn, not for all the renames.
extension Mailbox {
    /// Queues the first turn behind this call: the caller answers while the files are renamed.
    func scheduleRenamesBehind() {
        Task { self.writeRenamesBehind(count: MailStoreDefaults.renamesBehindPerTurn) }
    }

    /// Makes up to `count` of the flag renames a change owes and queues a turn for the rest; a
    /// rename that failed takes its message's flags back, and the sessions are told.
    func writeRenamesBehind(count: Int = .max) {
        guard var current = folder, !current.renamesBehind.isEmpty else { return }
        folder = nil  // keep `current` the only reference, so changing it does not copy the records
        let reverted = current.writeRenamesBehind(count: count)
        folder = current
        if !current.renamesBehind.isEmpty {
            // Queued behind whatever was asked during this turn.
            Task { self.writeRenamesBehind(count: count) }
        }
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

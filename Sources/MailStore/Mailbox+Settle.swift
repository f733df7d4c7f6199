import Foundation

/// Settling: a scan right after a change cannot trust the times it read (and one that moved new mail
/// into cur/ changed them itself), so the next look would list cur/ again; the mailbox does that
/// second scan by itself, while no client waits.
extension Mailbox {
    /// After a scan whose stamp cannot prove that nothing changed since, schedules `settle`.
    ///
    /// That is a stamp too young to trust, one the scan itself outdated (moving new mail from new/ to
    /// cur/ changes both folders' times after the stamp was taken), or our own renames taken on trust
    /// (`MaildirFolder.noteOwnRenames`).
    func scheduleSettle() {
        guard !settleScheduled, !removed, let folder, folder.needsScan else { return }
        settleScheduled = true
        settleDeadline = .now + settleLongestWait
        settleLater(after: min(settleDelay, settleLongestWait))
    }

    /// A client asked something: a settle due now waits until `settleDelay` after this.
    func noteActivity() { lastActivity = .now }

    /// Counts reads answered off the queue since the last call as activity now: a client reading
    /// bodies that way (`Mailbox+CachedRead.swift`) is as busy as one asking the queue.
    func noteReadsOffTheQueue() {
        if bodyReads.offTheQueue.exchange(0, ordering: .relaxed) > 0 { noteActivity() }
    }

    /// A timer on the mailbox's own queue, not a sleeping task: the settle then never waits for a
    /// thread of Swift's cooperative pool.
    private func settleLater(after delay: Duration) {
        executor.runAfter(delay) { [weak self] in
            self?.assumeIsolated { $0.settleWhenQuiet() }
        }
    }

    /// Settles once no client has asked anything for `settleDelay`, or at `settleDeadline`.
    ///
    /// The scan holds the mailbox's queue (25 ms on 20,000 messages), and a burst of commands (a
    /// STORE, then the next client's SELECT) would wait behind it. The deadline bounds the wait, so a
    /// client that never pauses still gets the proof.
    private func settleWhenQuiet() {
        noteReadsOffTheQueue()
        let quiet = min(lastActivity + settleDelay, settleDeadline)
        let now = ContinuousClock.now
        if quiet > now { return settleLater(after: quiet - now) }
        settle()
    }

    /// Scans again once the times the last scan left are old enough to trust, so that the next look
    /// (the command after a SELECT, the FETCH after new mail) finds a trusted stamp instead of listing
    /// cur/ itself: 25 ms on the bench's 20,000 messages, paid here while no client waits.
    ///
    /// It only moves that scan earlier: it schedules no other, so a folder that keeps changing is not
    /// scanned more often than it is looked at.
    private func settle() {
        settleScheduled = false
        guard !removed, let current = folder, current.needsScan else { return }
        let before = current.scans
        do {
            publish(try withFolder { try $0.synchronize(proving: true) })
        } catch {
            logger.warning("rescan failed", metadata: ["mailbox": "\(name)", "error": "\(error)"])
        }
        settleScans += (folder?.scans ?? before) - before
    }

    /// Sets `settleDelay` and, if given, `settleLongestWait` (for tests).
    func setSettleDelay(_ delay: Duration, longestWait: Duration? = nil) {
        settleDelay = delay
        if let longestWait { settleLongestWait = longestWait }
    }
}

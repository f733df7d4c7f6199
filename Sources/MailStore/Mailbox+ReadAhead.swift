import Synchronization

/// What a mailbox notes of the bodies its clients read one at a time, on its queue and off it
/// (`Mailbox+CachedRead.swift`): a class of its own, since an actor's stored properties are isolated.
final class BodyReads: Sendable {
    /// The order of the reads, for reading ahead.
    let pattern = Mutex(ReadAheadPattern())
    /// Files this mailbox's reads asked to read ahead, the last ones queued (hints beyond
    /// `ReadAhead.mostPending` are dropped), and how many the lanes found and hinted (for tests).
    let hinted = Atomic<Int>(0)
    let lastQueued = Mutex<[String]>([])
    let opened = Atomic<Int>(0)
    /// Reads answered off the queue since a settle or cache write last asked whether clients pause.
    let offTheQueue = Atomic<Int>(0)
}

extension Mailbox {
    /// Files this mailbox asked to read ahead (for tests).
    var readAheadHinted: Int { bodyReads.hinted.load(ordering: .relaxed) }
    /// The paths the last hint queued, and the files found and hinted so far (for tests).
    nonisolated var readAheadLastQueued: [String] { bodyReads.lastQueued.withLock { $0 } }
    nonisolated var readAheadOpened: Int { bodyReads.opened.load(ordering: .relaxed) }

    /// Notes the messages a client is about to read, and hints the ones its order says come next
    /// (`ReadAheadPattern`, `ReadAhead`), before the read itself so that both go on at once.
    ///
    /// One pattern per mailbox, not per session: two sessions reading bodies of one folder at once
    /// break each other's strides, and then nothing is hinted.
    nonisolated func noteWholeReads(_ uids: [UInt32], curPath: String, records: [MessageRecord]) {
        guard uids.count == 1, let position = MaildirFolder.index(of: uids[0], in: records) else {
            bodyReads.pattern.withLock { $0.reset() }
            return
        }
        let ahead = bodyReads.pattern.withLock { pattern in
            pattern.read(position: position, count: records.count) { records[$0].physicalSize }
        }
        guard !ahead.isEmpty else { return }
        bodyReads.hinted.add(ahead.count, ordering: .relaxed)
        let reads = bodyReads
        let paths = ahead.map { curPath + "/" + records[$0].fileName }
        let queued = ReadAhead.hint(paths) { reads.opened.add($0, ordering: .relaxed) }
        reads.lastQueued.withLock { $0 = Array(paths.prefix(queued)) }
    }

    func noteWholeReads(_ uids: [UInt32], in current: MaildirFolder) {
        noteWholeReads(uids, curPath: current.curPath, records: current.records)
    }
}

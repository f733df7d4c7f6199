extension Mailbox {
    /// Notes the messages a client is about to read, and hints the ones its order says come next
    /// (`ReadAheadPattern`, `ReadAhead`), before the read itself so that both go on at once.
    ///
    /// One pattern per mailbox, not per session: two sessions reading bodies of one folder at once
    /// break each other's strides, and then nothing is hinted.
    func noteWholeReads(_ uids: [UInt32], in current: MaildirFolder) {
        guard uids.count == 1, let position = current.index(of: uids[0]) else {
            readAhead.reset()
            return
        }
        let ahead = readAhead.read(position: position, count: current.records.count) {
            current.records[$0].physicalSize
        }
        guard !ahead.isEmpty else { return }
        readAheadHinted += ahead.count
        ReadAhead.hint(ahead.map { current.curPath + "/" + current.records[$0].fileName })
    }
}

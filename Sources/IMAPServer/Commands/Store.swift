import MailStore

extension MailStoreExecutor {
    // RFC 3501 §6.4.6 STORE, §6.4.8 UID STORE; RFC 7162 §3.1.3 UNCHANGEDSINCE / [MODIFIED].
    func storeFlags(_ set: SequenceSet, _ store: StoreCommand, uid: Bool, request: ExecutionRequest, sink: ResponseSink)
        async throws -> CommandOutcome
    {
        let tag = request.tag
        var current = try requireSelected()
        if current.view.readOnly { throw CommandFailure(.no, .readOnly, "Mailbox is read-only") }
        let msns: [Int]
        do {
            msns = try current.view.resolve(set, byUID: uid)
        } catch {
            throw CommandFailure(.bad, nil, "Invalid message sequence number")
        }
        var targets = msns.map { current.view.message(msn: $0) }
        var modified: [UInt32] = []
        if let unchangedSince = store.unchangedSince {
            modified = targets.filter { $0.modSeq > unchangedSince }.map { uid ? $0.uid : UInt32(current.view.msn(ofUID: $0.uid) ?? 0) }
            targets = targets.filter { $0.modSeq <= unchangedSince }
        }
        let (flags, keywords) = Self.storeFlags(store.flags)
        let operation: FlagOperation = switch store.operation {
        case .add: .add
        case .remove: .remove
        case .replace: .replace
        }
        let records = targets.isEmpty ? [] : try await current.mailbox.setFlags(
            uids: targets.map(\.uid), flags: flags, keywords: keywords, operation: operation)
        var responses: [IMAPResponse] = []
        for record in records {
            current.view.setFlags(uid: record.uid, flags: Self.flags(of: record), modSeq: record.modSeq)
            guard let msn = current.view.msn(ofUID: record.uid) else { continue }
            // .SILENT suppresses the FETCH, except that CONDSTORE clients still learn the new MODSEQ.
            if store.silent && !(request.condStore && store.unchangedSince != nil) { continue }
            var items: [FetchResponseItem] = []
            if uid { items.append(.uid(record.uid)) }
            if !store.silent { items.append(.flags(current.view.displayFlags(current.view.message(msn: msn)))) }
            if request.condStore { items.append(.modSeq(record.modSeq)) }
            responses.append(.untagged(.fetch(msn, items)))
        }
        selected = current
        await sink.send(responses)
        let updates = try await updates(allowExpunge: uid, condStore: request.condStore)
        let name = uid ? "UID STORE" : "STORE"
        if !modified.isEmpty {
            return CommandOutcome(responses: updates + [.ok(tag, .modified(SequenceSet.compact(modified)), "Conditional \(name) failed")])
        }
        return CommandOutcome(responses: updates + [.ok(tag, "\(name) completed")])
    }
}

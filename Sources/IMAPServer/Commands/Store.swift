import MailStore

extension MailStoreExecutor {
    // RFC 3501 §6.4.6 STORE, §6.4.8 UID STORE; RFC 7162 §3.1.3 UNCHANGEDSINCE / [MODIFIED]. The rules
    // are `StorePlan`'s and `StoreRenderer`'s; this is the store calls between them.
    func storeFlags(
        _ set: SequenceSet,
        _ store: StoreCommand,
        uid: Bool,
        request: ExecutionRequest,
        sink: ResponseSink
    )
        async throws -> CommandOutcome
    {
        var current = try requireSelected()
        if current.view.readOnly { throw CommandFailure(.no, .readOnly, "Mailbox is read-only") }
        let msns: [Int]
        do {
            msns = try current.view.resolve(set, byUID: uid)
        } catch {
            throw CommandFailure(.bad, nil, "Invalid message sequence number")
        }
        let view = current.view
        let plan = StorePlan(
            store,
            targets: msns.map { view.message(msn: $0) },
            uid: uid,
            condStore: request.condStore
        ) { view.msn(ofUID: $0) }
        let (records, token) =
            plan.changing.isEmpty
            ? ([], nil)
            : try await current.mailbox.changeFlags(
                uids: plan.changing,
                flags: plan.flags,
                keywords: plan.keywords,
                operation: plan.operation,
                since: current.syncedToken
            )
        var responses: [IMAPResponse] = []
        for record in records {
            current.view.setFlags(uid: record.uid, flags: Self.flags(of: record), modSeq: record.modSeq)
            guard let msn = current.view.msn(ofUID: record.uid) else { continue }
            let flags = current.view.displayFlags(current.view.message(msn: msn))
            if let fetch = StoreRenderer.fetch(plan, msn: msn, uid: record.uid, flags: flags, modSeq: record.modSeq) {
                responses.append(fetch)
            }
        }
        // Nothing else changed since the view's last look: with the records applied it is current, and
        // the look below finds nothing to compare (not every message of the mailbox again).
        if let token { current.syncedToken = token }
        selected = current
        await sink.send(responses)
        let updates = try await updates(allowExpunge: uid, condStore: request.condStore)
        return CommandOutcome(responses: updates + [StoreRenderer.completion(plan, tag: request.tag)])
    }
}

import MailStore

extension MailStoreExecutor {
    // RFC 3501 §6.4.7 COPY, RFC 6851 MOVE, RFC 4315 COPYUID; a missing target answers [TRYCREATE].
    func copy(
        _ set: SequenceSet,
        to destination: IMAPMailboxName,
        uid: Bool,
        move: Bool,
        request: ExecutionRequest
    )
        async throws -> CommandOutcome
    {
        let tag = request.tag
        let current = try requireSelected()
        if move && current.view.readOnly { throw CommandFailure(.no, .readOnly, "Mailbox is read-only") }
        let msns: [Int]
        do {
            msns = try current.view.resolve(set, byUID: uid)
        } catch {
            throw CommandFailure(.bad, nil, "Invalid message sequence number")
        }
        let target: any MailboxHandle
        do {
            target = try await folders.openMailbox(user: request.user, name: Self.storeName(destination))
        } catch MailStoreError.mailboxNotFound {
            throw CommandFailure(.no, .tryCreate, "No such mailbox")
        }
        let uids = msns.map { current.view.message(msn: $0).uid }
        let name = (uid ? "UID " : "") + (move ? "MOVE" : "COPY")
        guard !uids.isEmpty else { return CommandOutcome(responses: [.ok(tag, "\(name) completed")]) }
        let pairs =
            move
            ? try await current.mailbox.moveMessages(uids: uids, to: target)
            : try await current.mailbox.copyMessages(uids: uids, to: target)
        let validity = try await target.status().uidValidity
        let code: ResponseCode? =
            pairs.isEmpty
            ? nil
            : .copyUID(
                uidValidity: validity,
                source: SequenceSet.ordered(pairs.map(\.0)),
                destination: SequenceSet.ordered(pairs.map(\.1))
            )
        if move {
            // RFC 6851 §4.3: COPYUID goes in an untagged OK before the EXPUNGEs.
            var responses: [IMAPResponse] = []
            if let code { responses.append(.untagged(.condition(.ok, code, "Moved"))) }
            responses += try await updates(allowExpunge: true, condStore: request.condStore)
            return CommandOutcome(responses: responses + [.ok(tag, "\(name) completed")])
        }
        let updates = try await updates(allowExpunge: uid, condStore: request.condStore)
        return CommandOutcome(responses: updates + [.ok(tag, code, "\(name) completed")])
    }

    // RFC 3501 §6.4.3 EXPUNGE, RFC 4315 §2.1 UID EXPUNGE.
    func expunge(_ set: SequenceSet?, request: ExecutionRequest) async throws -> CommandOutcome {
        let current = try requireSelected()
        if current.view.readOnly { throw CommandFailure(.no, .readOnly, "Mailbox is read-only") }
        if let set {
            let uids = try current.view.resolve(set, byUID: true).map { current.view.message(msn: $0).uid }
            if !uids.isEmpty { try await current.mailbox.expunge(uids: uids) }
        } else {
            try await current.mailbox.expunge(uids: nil)
        }
        let updates = try await updates(allowExpunge: true, condStore: request.condStore)
        return CommandOutcome(
            responses: updates + [.ok(request.tag, "\(set == nil ? "EXPUNGE" : "UID EXPUNGE") completed")]
        )
    }
}

import MailStore

extension MailStoreExecutor {
    // RFC 3501 §6.3.1 SELECT, §6.3.2 EXAMINE; RFC 7162 §3.1.8 HIGHESTMODSEQ; RFC 7162 §3.2.11 CLOSED.
    func select(_ name: IMAPMailboxName, readOnly: Bool, request: ExecutionRequest) async throws -> CommandOutcome {
        let tag = request.tag
        let wasSelected = selected != nil
        selected = nil
        let mailbox: any MailboxHandle
        let verb = readOnly ? "EXAMINE" : "SELECT"
        // A shared group opens read-only whichever command opened it (see SharedNews.swift).
        let group = NewsNamespace.group(name)
        let readOnly = readOnly || group != nil
        do {
            if let group {
                mailbox = try await newsMailbox(group)
            } else {
                mailbox = try await folders.openMailbox(user: request.user, name: Self.storeName(name))
            }
            try await mailbox.refresh()
        } catch let failure as CommandFailure {
            return CommandOutcome(
                responses: [failure.response(tag: tag)],
                selection: wasSelected ? .deselected : .unchanged
            )
        } catch {
            // A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1).
            let response =
                (error as? MailStoreError).map { Self.response(for: $0, tag: tag) }
                ?? .no(tag, .serverBug, "Cannot open mailbox")
            return CommandOutcome(responses: [response], selection: wasSelected ? .deselected : .unchanged)
        }
        let look: MailboxLook
        do {
            look = try await mailbox.look(since: nil, claimRecent: !readOnly)
        } catch {
            return CommandOutcome(
                responses: [.no(tag, .serverBug, "Cannot open mailbox")],
                selection: wasSelected ? .deselected : .unchanged
            )
        }
        let records = look.messages ?? []
        let view = SelectedMailboxView(messages: records.map(Self.viewMessage), recent: look.recent, readOnly: readOnly)
        selected = Selected(mailbox: mailbox, name: name, view: view, syncedToken: look.token)

        var keywords: [String] = []
        for record in records {
            for keyword in record.keywords where !keywords.contains(keyword) { keywords.append(keyword) }
        }
        let flags = [Flag.answered, .flagged, .deleted, .seen, .draft] + keywords.map(Flag.init)
        var responses: [IMAPResponse] = []
        if wasSelected { responses.append(.untagged(.condition(.ok, .closed, "Previous mailbox closed"))) }
        responses.append(.untagged(.flags(flags)))
        responses.append(
            .untagged(
                .condition(
                    .ok,
                    .permanentFlags(readOnly ? [] : flags, allowsKeywords: !readOnly),
                    readOnly ? "No permanent flags permitted" : "Flags permitted"
                )
            )
        )
        responses.append(.untagged(.exists(view.count)))
        responses.append(.untagged(.recent(view.recent.count)))
        if let firstUnseen = records.firstIndex(where: { !$0.flags.contains(.seen) }) {
            responses.append(.untagged(.condition(.ok, .unseen(firstUnseen + 1), "First unseen")))
        }
        responses.append(.untagged(.condition(.ok, .uidValidity(look.status.uidValidity), "UIDs valid")))
        responses.append(.untagged(.condition(.ok, .uidNext(look.status.uidNext), "Predicted next UID")))
        responses.append(.untagged(.condition(.ok, .highestModSeq(look.status.highestModSeq), "Highest")))
        responses.append(.ok(tag, readOnly ? .readOnly : .readWrite, "\(verb) completed"))
        return CommandOutcome(responses: responses, selection: .selected(name, readOnly: readOnly))
    }

    // RFC 3501 §6.4.2 CLOSE: expunge silently (read-write only), then deselect.
    func closeMailbox(_ request: ExecutionRequest) async throws -> CommandOutcome {
        let current = try requireSelected()
        if !current.view.readOnly { try await current.mailbox.expunge(uids: nil) }
        selected = nil
        return CommandOutcome(responses: [.ok(request.tag, "CLOSE completed")], selection: .deselected)
    }

    // RFC 3691 UNSELECT: deselect without expunging.
    func unselect(_ request: ExecutionRequest) -> CommandOutcome {
        selected = nil
        return CommandOutcome(responses: [.ok(request.tag, "UNSELECT completed")], selection: .deselected)
    }

    // RFC 3501 §6.1.2 NOOP, §6.4.1 CHECK, RFC 2177 IDLE completion: look at the disk, report changes.
    func poll(_ request: ExecutionRequest, text: String) async throws -> CommandOutcome {
        let responses = try await updates(allowExpunge: true, condStore: request.condStore, synchronize: true)
        return CommandOutcome(responses: responses + [.ok(request.tag, text)])
    }
}

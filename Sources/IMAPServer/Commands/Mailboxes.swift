import MailStore

extension MailStoreExecutor {
    // RFC 3501 §6.3.3 CREATE: a trailing delimiter is allowed; creating INBOX fails.
    func create(_ name: IMAPMailboxName, request: ExecutionRequest) async throws -> CommandOutcome {
        if name.isInbox { throw CommandFailure(.no, .alreadyExists, "INBOX always exists") }
        try await folders.createMailbox(user: request.user, name: Self.storeName(name))
        return CommandOutcome(responses: [.ok(request.tag, "CREATE completed")])
    }

    // RFC 3501 §6.3.4 DELETE.
    func delete(_ name: IMAPMailboxName, request: ExecutionRequest) async throws -> CommandOutcome {
        let storeName = try Self.storeName(name)
        try await folders.deleteMailbox(user: request.user, name: storeName)
        var selection = CommandOutcome.Selection.unchanged
        if let current = selected, current.name == name {
            selected = nil
            selection = .deselected
        }
        return CommandOutcome(responses: [.ok(request.tag, "DELETE completed")], selection: selection)
    }

    // RFC 3501 §6.3.5 RENAME (renaming INBOX moves its messages to the new mailbox and leaves it empty).
    func rename(
        _ from: IMAPMailboxName,
        _ to: IMAPMailboxName,
        request: ExecutionRequest
    ) async throws -> CommandOutcome {
        try await folders.renameMailbox(user: request.user, from: Self.storeName(from), to: Self.storeName(to))
        return CommandOutcome(responses: [.ok(request.tag, "RENAME completed")])
    }

    // RFC 3501 §6.3.6 SUBSCRIBE, §6.3.7 UNSUBSCRIBE.
    func subscribe(_ name: IMAPMailboxName, _ on: Bool, request: ExecutionRequest) async throws -> CommandOutcome {
        if let group = NewsNamespace.group(name) {
            try await subscribeNews(group, on, user: request.user)
            return CommandOutcome(responses: [.ok(request.tag, "\(on ? "SUBSCRIBE" : "UNSUBSCRIBE") completed")])
        }
        let storeName = try Self.storeName(name)
        if on {
            try await folders.subscribe(user: request.user, name: storeName)
        } else {
            try await folders.unsubscribe(user: request.user, name: storeName)
        }
        return CommandOutcome(responses: [.ok(request.tag, "\(on ? "SUBSCRIBE" : "UNSUBSCRIBE") completed")])
    }

    // RFC 3501 §6.3.10 STATUS (RFC 9051 SIZE, RFC 7162 HIGHESTMODSEQ).
    func status(
        _ name: IMAPMailboxName,
        _ attributes: [StatusAttribute],
        request: ExecutionRequest
    ) async throws
        -> CommandOutcome
    {
        let values = try await statusValues(name, attributes, user: request.user)
        let updates = try await updates(allowExpunge: true, condStore: request.condStore)
        return CommandOutcome(
            responses: updates + [.untagged(.status(name, values)), .ok(request.tag, "STATUS completed")]
        )
    }

    func statusValues(
        _ name: IMAPMailboxName,
        _ attributes: [StatusAttribute],
        user: String
    ) async throws
        -> [StatusValue]
    {
        let mailbox: any MailboxHandle =
            if let group = NewsNamespace.group(name) {
                try await newsMailbox(group)
            } else {
                try await folders.openMailbox(user: user, name: Self.storeName(name))
            }
        try await mailbox.refresh()
        let look = try await mailbox.look(since: nil, claimRecent: false)
        let records = look.messages ?? []
        var values: [StatusValue] = []
        for attribute in attributes {
            let value: UInt64
            switch attribute {
            case .messages: value = UInt64(records.count)
            case .recent: value = UInt64(try await mailbox.recentCount())
            case .uidNext: value = UInt64(look.status.uidNext)
            case .uidValidity: value = UInt64(look.status.uidValidity)
            case .unseen: value = UInt64(records.count { !$0.flags.contains(.seen) })
            case .size: value = records.reduce(0) { $0 + UInt64($1.size) }
            case .highestModSeq: value = look.status.highestModSeq
            }
            values.append(StatusValue(attribute, value))
        }
        return values
    }

    // RFC 3501 §6.3.11 APPEND with RFC 4315 APPENDUID; a missing mailbox answers [TRYCREATE].
    func append(_ append: AppendCommand, request: ExecutionRequest) async throws -> CommandOutcome {
        let streamed = (request.streamedLiteral?.literal as? StoreLiteral)?.message
        if append.streamedLiteralID != nil, streamed == nil {
            throw CommandFailure(.no, .serverBug, "The message could not be stored")
        }
        if NewsNamespace.isReserved(append.mailbox) {
            return try await appendNews(append, streamed: streamed, request: request)
        }
        let mailbox: any MailboxHandle
        do {
            mailbox = try await folders.openMailbox(user: request.user, name: Self.storeName(append.mailbox))
        } catch MailStoreError.mailboxNotFound {
            streamed?.abandon()
            throw CommandFailure(.no, .tryCreate, "No such mailbox")
        }
        let (flags, keywords) = StorePlan.split(append.flags)
        let date = append.internalDate ?? .now
        let uid: UInt32
        if let streamed, let folder = mailbox as? Mailbox {
            // The literal already is a file in this store's tmp/: linking it into the folder copies nothing.
            uid = try await folder.append(streamed, flags: flags, keywords: keywords, internalDate: date)
        } else if let streamed {
            // Another backend takes bytes: the spooled literal is read back (APPEND's size is limited).
            defer { streamed.abandon() }
            guard let bytes = try streamed.contents(upTo: .max) else {
                throw CommandFailure(.no, .serverBug, "The message could not be stored")
            }
            uid = try await mailbox.append(bytes: bytes, flags: flags, keywords: keywords, internalDate: date)
        } else {
            uid = try await mailbox.append(bytes: append.message, flags: flags, keywords: keywords, internalDate: date)
        }
        let validity = try await mailbox.status().uidValidity
        let updates = try await updates(allowExpunge: true, condStore: request.condStore)
        return CommandOutcome(
            responses: updates + [.ok(request.tag, .appendUID(uidValidity: validity, uid: uid), "APPEND completed")]
        )
    }
}

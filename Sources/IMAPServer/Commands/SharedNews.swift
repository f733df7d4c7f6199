import Dispatch
import MailStore

/// The `#news.` shared namespace (RFC 2342) over the store's newsgroups (`NewsgroupStore`).
///
/// A group opens read-only for everyone: SELECT answers `[READ-ONLY]` like EXAMINE, STORE and EXPUNGE
/// are refused, FETCH sets no implicit \Seen (RFC 3501 §6.4.5 for a read-only mailbox). Why no flags:
/// the group's Maildir is shared by every user and by NNTP, and Maildir keeps flags in the file
/// names, so a \Seen stored there would be everyone's \Seen. Per-user flags need a store of their own
/// per user and group (keyed by UIDVALIDITY and UID); until then a shared group shows each article
/// unseen to each user, as a newsreader without a .newsrc would. APPEND into a group is a post: it
/// goes through NNTP's POST (`newsPosting`), which checks Newsgroups and adds what RFC 5537 asks of an
/// injecting agent (Message-ID, Date, Path, Injection-Date, Injection-Info). COPY and MOVE into the
/// namespace, and CREATE, DELETE, RENAME there, answer `NO [NOPERM]`: a copy would skip those checks.
extension MailStoreExecutor {
    /// The refusal for anything that would write into the namespace.
    static var newsIsReadOnly: CommandFailure {
        CommandFailure(.no, .noPerm, "#news. groups are read-only over IMAP; post by APPEND or with NNTP")
    }

    /// APPEND into `#news.GROUP` (RFC 3501 §6.3.11) posts the message to GROUP.
    ///
    /// It is posted as NNTP's POST would post it; `[APPENDUID]` (RFC 4315) gives its article number.
    /// The flags and date of the APPEND are not kept: a group holds no flags (see above), and the
    /// injection sets the Date.
    func appendNews(
        _ append: AppendCommand,
        streamed: IncomingMessage?,
        request: ExecutionRequest
    ) async throws
        -> CommandOutcome
    {
        defer { streamed?.abandon() }
        guard let newsPosting, let group = NewsNamespace.group(append.mailbox) else { throw Self.newsIsReadOnly }
        guard let newsgroup = try await newsgroups.newsgroup(group) else {
            throw CommandFailure(.no, .nonexistent, "No such newsgroup")
        }
        guard !newsgroup.readOnly else {
            throw CommandFailure(.no, .noPerm, "\(group) is read-only (posting not permitted)")
        }
        let limit = newsPosting.maximumArticleBytes
        let article: [UInt8]?
        if let streamed {
            // A literal past the streaming threshold is on disk: read it off the cooperative pool.
            article = try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(with: Result { try streamed.contents(upTo: limit) })
                }
            }
        } else {
            article = append.message.count <= limit ? append.message : nil
        }
        guard let article else { throw CommandFailure(.no, .tooBig, "Articles are limited to \(limit) octets") }
        let posted = try await newsPosting.postAppended(
            article,
            to: group,
            user: request.user,
            clientAddress: clientAddress
        )
        switch posted {
        case .posted(_, let uidValidity, let number):
            let updates = try await updates(allowExpunge: true, condStore: request.condStore)
            let done = IMAPResponse.ok(
                request.tag,
                .appendUID(uidValidity: uidValidity, uid: number),
                "APPEND completed: posted"
            )
            return CommandOutcome(responses: updates + [done])
        case .refused(let reason):
            throw CommandFailure(.no, .cannot, "Posting failed: \(reason)")
        }
    }

    /// The group's shared mailbox for SELECT, EXAMINE and STATUS; NO [NONEXISTENT] for no such group.
    func newsMailbox(_ group: String) async throws -> any MailboxHandle {
        do {
            return try await newsgroups.openNewsgroup(group)
        } catch MailStoreError.invalidMailboxName, MailStoreError.mailboxNotFound {
            throw CommandFailure(.no, .nonexistent, "No such newsgroup")
        }
    }

    /// The namespace's LIST entries matching one of `patterns` (already joined with the reference).
    func newsListEntries(
        patterns: [String],
        subscribed: Set<String>,
        onlySubscribed: Bool,
        showSubscribed: Bool
    ) async throws -> [(entry: NewsNamespace.Entry, attributes: [String])] {
        let groups = try await newsgroups.newsgroups().map(\.name)
        var found: [(entry: NewsNamespace.Entry, attributes: [String])] = []
        for entry in NewsNamespace.entries(groups: groups) {
            let delimiter = Character(NewsNamespace.delimiter)
            guard patterns.contains(where: { Self.matches(entry.name.name, pattern: $0, delimiter: delimiter) })
            else { continue }
            let isSubscribed = entry.group.map(subscribed.contains) ?? false
            if onlySubscribed && !isSubscribed { continue }
            var attributes = [entry.hasChildren ? "\\HasChildren" : "\\HasNoChildren"]
            if entry.group == nil { attributes.insert("\\Noselect", at: 0) }
            if showSubscribed && isSubscribed { attributes.append("\\Subscribed") }
            found.append((entry, attributes))
        }
        return found
    }

    /// The groups `user` subscribed to under `#news.`.
    func newsSubscriptions(user: String) async throws -> Set<String> {
        Set(
            try await folders.subscriptions(user: user).compactMap {
                NewsNamespace.group(subscriptionLevels: $0.components)
            }
        )
    }

    /// SUBSCRIBE and UNSUBSCRIBE of `#news.GROUP`, remembered with the user's other subscriptions.
    func subscribeNews(_ group: String, _ on: Bool, user: String) async throws {
        let name: MailboxName
        do {
            name = try MailboxName(NewsNamespace.subscriptionLevels(group: group))
        } catch {
            throw CommandFailure(.no, .nonexistent, "No such newsgroup")
        }
        if on {
            guard try await newsgroups.newsgroup(group) != nil else {
                throw CommandFailure(.no, .nonexistent, "No such newsgroup")
            }
            try await folders.subscribe(user: user, name: name)
        } else {
            try await folders.unsubscribe(user: user, name: name)
        }
    }
}

import Foundation
import Logging
import MailStore
import NIOCore
import NIOPosix

/// Runs mailbox commands for one connection: the asynchronous layer above the pure `IMAPSession`. It holds
/// the selected mailbox and the client's view of it (`SelectedMailboxView`).
///
/// The users' mailboxes come through `folders` and `MailboxHandle`, whichever backend serves them (the
/// Maildir store or the PostgreSQL store); `store`, the Maildir store of the storage folder, keeps what
/// is not on those protocols yet: the newsgroups (`#news.`) and the spool of large APPEND literals.
actor MailStoreExecutor: IMAPCommandExecuting {
    struct Selected {
        var mailbox: any MailboxHandle
        var name: IMAPMailboxName
        var view: SelectedMailboxView
        /// The look's token the view fully reflects (nil: compare with the store next time).
        var syncedToken: UInt64?
    }

    let store: MailStore
    /// Who may log in: the store's users, or another directory (`IMAPServer`'s `users`).
    let users: any UserDirectory
    /// The user's mailboxes as a hierarchy (CREATE, DELETE, RENAME, LIST, subscriptions).
    let folders: any MailboxDirectory
    /// The groups of the `#news.` namespace.
    let newsgroups: any NewsgroupStore
    /// Replaces passwords.txt and the login-to-user mapping when set (`IMAPServer.Configuration.logins`).
    let logins: (any IMAPLoginPolicy)?
    /// Posts an APPEND into `#news.GROUP` (`IMAPServer.Configuration.newsPosting`).
    let newsPosting: (any NewsPosting)?
    /// The client's address, for the Injection-Info of what it posts.
    let clientAddress: String
    /// The server's IDLE sessions by mailbox: a change reaches them all with one look at the mailbox.
    let idleFanOut: IdleFanOut
    let logger: Logger
    var selected: Selected?
    /// Whether the client enabled CONDSTORE (as of its last command): IDLE updates then carry MODSEQ.
    var condStore = false
    /// The IDLE under way, between `beginIdle` and `endIdle`.
    var idleSubscription: IdleSubscription?

    /// The hierarchy delimiter shown in LIST and NAMESPACE; MailStore's name components joined by it.
    static let delimiter: Character = "/"

    /// The connection's event loop: the session's commands run there, between their waits on the store.
    ///
    /// A command's steps then follow each other without a hop through Swift's shared pool: the loop
    /// that read it runs it, the mailbox's queue does the file work, and the loop takes the answer
    /// back. Nothing here blocks on I/O (the store's calls do it on their own queues); its CPU work
    /// (matching SEARCH keys, rendering FETCH items) is what the loop would have waited for anyway.
    nonisolated let loop: any EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    init(
        store: MailStore,
        users: any UserDirectory,
        folders: (any MailboxDirectory)? = nil,
        newsgroups: (any NewsgroupStore)? = nil,
        logins: (any IMAPLoginPolicy)? = nil,
        newsPosting: (any NewsPosting)? = nil,
        clientAddress: String = "",
        idleFanOut: IdleFanOut = IdleFanOut(),
        runsOn loop: (any EventLoop)? = nil,
        logger: Logger
    ) {
        self.loop = loop ?? MultiThreadedEventLoopGroup.singleton.any()
        self.idleFanOut = idleFanOut
        self.store = store
        self.users = users
        self.folders = folders ?? store
        self.newsgroups = newsgroups ?? store
        self.logins = logins
        self.newsPosting = newsPosting
        self.clientAddress = clientAddress
        self.logger = logger
    }

    func verify(username: String, password: String) async throws -> Bool {
        if let logins { return await logins.verify(username: username, password: password) }
        return try await users.verify(address: username, password: password)
    }

    func close() async {
        // What this session added to the caches is written at the mailbox's next pause, not at the
        // next change's delay: a process killed soon after still finds most of it when it starts again.
        if let mailbox = selected?.mailbox { await mailbox.flushCaches() }
        selected = nil
    }

    nonisolated func makeStreamedLiteral() throws -> any StreamedLiteral {
        StoreLiteral(message: try store.beginDelivery())
    }

    /// Runs `request` and fulfils `answer` with its outcome, here on the connection's loop: the task that
    /// calls it then has nothing left to do once this returns, so it ends without a hop elsewhere.
    func execute(_ request: ExecutionRequest, sink: ResponseSink, answer: EventLoopPromise<CommandOutcome>) async {
        answer.succeed(await execute(request, sink: sink))
    }

    func execute(_ request: ExecutionRequest, sink: ResponseSink) async -> CommandOutcome {
        var request = request
        if let logins { request.user = logins.owner(of: request.user) }
        let tag = request.tag
        condStore = request.condStore
        do {
            switch request.command {
            case .select(let name, _): return try await select(name, readOnly: false, request: request)
            case .examine(let name, _): return try await select(name, readOnly: true, request: request)
            case .create(let name): return try await create(name, request: request)
            case .delete(let name): return try await delete(name, request: request)
            case .rename(let from, let to): return try await rename(from, to, request: request)
            case .subscribe(let name): return try await subscribe(name, true, request: request)
            case .unsubscribe(let name): return try await subscribe(name, false, request: request)
            case .list(let command): return try await list(command, request: request, sink: sink)
            case .lsub(let reference, let pattern):
                return try await lsub(reference, pattern, request: request, sink: sink)
            case .status(let name, let attributes): return try await status(name, attributes, request: request)
            case .append(let command): return try await append(command, request: request)
            case .noop, .check: return try await poll(request, text: "\(request.command.name) completed")
            case .idle: return try await poll(request, text: "IDLE terminated")
            case .close: return try await closeMailbox(request)
            case .unselect: return unselect(request)
            case .expunge: return try await expunge(nil, request: request)
            case .uidExpunge(let set): return try await expunge(set, request: request)
            case .search(let command, let uid): return try await search(command, uid: uid, request: request, sink: sink)
            case .fetch(let set, let attributes, let changedSince, let uid):
                return try await fetch(
                    set,
                    attributes,
                    changedSince: changedSince,
                    uid: uid,
                    request: request,
                    sink: sink
                )
            case .store(let set, let store, let uid):
                return try await storeFlags(set, store, uid: uid, request: request, sink: sink)
            case .copy(let set, let destination, let uid):
                return try await copy(set, to: destination, uid: uid, move: false, request: request)
            case .move(let set, let destination, let uid):
                return try await copy(set, to: destination, uid: uid, move: true, request: request)
            default:
                return CommandOutcome(responses: [.bad(tag, "\(request.command.name) is not handled here")])
            }
        } catch let error as CommandFailure {
            return CommandOutcome(
                responses: [error.response(tag: tag)],
                selection: error.deselects ? .deselected : .unchanged
            )
        } catch let error as MailStoreError {
            logger.info("command failed", metadata: ["command": "\(request.command.name)", "error": "\(error)"])
            return CommandOutcome(responses: [Self.response(for: error, tag: tag)])
        } catch {
            logger.warning("command failed", metadata: ["command": "\(request.command.name)", "error": "\(error)"])
            return CommandOutcome(responses: [.no(tag, .serverBug, "\(request.command.name) failed")])
        }
    }

    /// The NO a store error becomes (RFC 5530 response codes).
    static func response(for error: MailStoreError, tag: String) -> IMAPResponse {
        switch error {
        case .mailboxNotFound: .no(tag, .nonexistent, "No such mailbox")
        case .mailboxExists: .no(tag, .alreadyExists, "Mailbox already exists")
        case .cannotDeleteInbox: .no(tag, .cannot, "INBOX cannot be deleted")
        case .mailboxHasChildren: .no(tag, .inUse, "Mailbox has children; delete them first")
        case .invalidMailboxName(_, let reason): .no(tag, .cannot, "Invalid mailbox name: \(reason)")
        case .tooManyKeywords: .no(tag, .limit, "Too many keywords in this mailbox")
        case .invalidKeyword: .no(tag, .cannot, "Invalid keyword")
        case .messageNotFound: .no(tag, .expungeIssued, "Message was expunged")
        default: .no(tag, .serverBug, "Internal error")
        }
    }

    /// MailStore's name for an IMAP mailbox name.
    ///
    /// Names in the `#news` space are refused here (`NO [NOPERM]`): they are the shared groups, which
    /// the commands that take a personal name (CREATE, DELETE, RENAME, APPEND, COPY, MOVE) cannot touch.
    static func storeName(_ name: IMAPMailboxName) throws -> MailboxName {
        if name.isInbox { return .inbox }
        if NewsNamespace.isReserved(name) { throw newsIsReadOnly }
        var path = name.name
        while path.hasSuffix(String(delimiter)) { path.removeLast() }
        return try MailboxName(path: path, delimiter: delimiter)
    }

    static func imapName(_ name: MailboxName) -> IMAPMailboxName {
        IMAPMailboxName(name.components.joined(separator: String(delimiter)))
    }

    /// The selected mailbox or a NO.
    func requireSelected() throws -> Selected {
        guard let selected else { throw CommandFailure(.bad, nil, "No mailbox selected") }
        return selected
    }

    /// Brings the client's view up to date; the untagged responses it returns go before the tagged one.
    func updates(allowExpunge: Bool, condStore: Bool, synchronize: Bool = false) async throws -> [IMAPResponse] {
        guard var current = selected else { return [] }
        if synchronize {
            try await current.mailbox.refresh()
        } else if let token = current.syncedToken, current.mailbox.isCurrent(token: token) {
            // Nothing changed since this session's last look: no hop onto the mailbox's queue.
            return []
        }
        // Most commands change nothing: then the whole-mailbox comparison below is skipped.
        let look = try await current.mailbox.look(since: current.syncedToken, claimRecent: true)
        guard let messages = look.messages else { return [] }
        let responses = current.view.update(
            to: messages.map(Self.viewMessage),
            newlyRecent: look.recent,
            allowExpunge: allowExpunge,
            includeModSeq: condStore
        )
        // An expunge held back (FETCH, STORE or SEARCH by number) must still be reported next time.
        current.syncedToken = current.view.count == messages.count ? look.token : nil
        selected = current
        return responses
    }

    static func viewMessage(_ record: MailboxMessage) -> SelectedMailboxView.Message {
        SelectedMailboxView.Message(uid: record.uid, flags: flags(of: record), modSeq: record.modSeq)
    }

    static func flags(of record: MailboxMessage) -> [Flag] {
        let system =
            Int(record.flags.rawValue) < systemFlagLists.count
            ? systemFlagLists[Int(record.flags.rawValue)] : record.flags.imapNames.map(Flag.init)
        return record.keywords.isEmpty ? system : system + record.keywords.map(Flag.init)
    }

    /// The flag list of each combination of system flags, built once: a message without keywords shares
    /// one of these instead of holding its own array in every session's view.
    private static let systemFlagLists: [[Flag]] = (0..<32).map {
        MessageFlags(rawValue: UInt8($0)).imapNames.map(Flag.init)
    }
}

/// A command that ends with NO or BAD.
struct CommandFailure: Error {
    var status: ResponseStatus
    var code: ResponseCode?
    var text: String
    var deselects = false

    init(_ status: ResponseStatus, _ code: ResponseCode?, _ text: String, deselects: Bool = false) {
        self.status = status
        self.code = code
        self.text = text
        self.deselects = deselects
    }

    func response(tag: String) -> IMAPResponse { .tagged(tag: tag, status, code, text) }
}

/// A streamed APPEND literal kept in MailStore's delivery file, linked into the mailbox at the end.
final class StoreLiteral: StreamedLiteral {
    let message: IncomingMessage
    init(message: IncomingMessage) { self.message = message }
    func write(_ bytes: [UInt8]) throws { try message.write(bytes) }
    func abandon() { message.abandon() }
}

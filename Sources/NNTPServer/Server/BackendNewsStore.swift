import Foundation
import MailStore
import ServerSupport

/// Answers sessions' requests from a store's newsgroups (`NewsgroupStore`: STORAGE/news/ or the
/// database): article numbers are the UIDs of a group's mailbox, overview lines are kept in the
/// store's derived cache (kind `nntp-overview`) so that OVER of a group already read reads no article.
public struct BackendNewsStore: NNTPNewsStore {
    /// The groups and their mailboxes.
    public let groups: any NewsgroupStore
    /// Who may post: the store's users (passwords.txt, or another directory).
    public let users: any UserDirectory
    /// The failed-login throttle shared with SMTP and IMAP.
    public let throttle: AuthThrottle
    /// The name in Path and Injection-Info.
    public let serverName: String
    static let overviewKind = "nntp-overview"
    private let index = MessageIDIndex()
    private let openGroups = OpenGroups()

    /// A news store over `groups`, whose posters are `users`.
    public init(
        groups: any NewsgroupStore,
        users: any UserDirectory,
        throttle: AuthThrottle = AuthThrottle(),
        serverName: String
    ) {
        self.groups = groups
        self.users = users
        self.throttle = throttle
        self.serverName = serverName
    }

    /// A news store over the Maildir store's groups, whose posters are `users` (the store's own by default).
    public init(
        store: MailStore,
        users: (any UserDirectory)? = nil,
        throttle: AuthThrottle = AuthThrottle(),
        serverName: String
    ) {
        self.init(groups: store, users: users ?? store, throttle: throttle, serverName: serverName)
    }

    /// Runs `request` against the store: a group that does not exist is answered as missing (no group, no article, no
    /// lines), any other store error as a `.failure` (403).
    public func answer(_ request: NNTPRequest, clientAddress: String) async -> NNTPReply {
        do {
            return try await answerThrowing(request, clientAddress: clientAddress)
        } catch MailStoreError.mailboxNotFound {
            switch request {
            case .group: return .group(nil)
            case .article, .articleByID: return .article(nil)
            case .overview, .overviewByID: return .overview([])
            case .header, .headerByID: return .header([])
            default: return .failure("no such group")
            }
        } catch {
            return .failure("\(error)")
        }
    }

    /// ARTICLE, HEAD, BODY, STAT, NEXT and LAST by number in a group already open, answered on the
    /// caller's thread.
    ///
    /// Read from the records a Maildir group's mailbox published (`Mailbox.readPublished`): one file
    /// read instead of a task and two hops onto the mailbox's queue and back. Nil when the mailbox
    /// changed since it last published (`answer` publishes again), for a group in another backend
    /// and for every other request.
    public func answerAtOnce(_ request: NNTPRequest) -> NNTPReply? {
        guard case .article(let group, let number, let headOnly) = request,
            let mailbox = openGroups.known(group) as? Mailbox
        else { return nil }
        switch mailbox.readPublished(uid: number, headerOnly: headOnly) {
        case .message(let bytes): return .article(article(bytes, number: number, group: group))
        case .absent: return .article(nil)
        case .unknown: return nil
        }
    }

    private func answerThrowing(_ request: NNTPRequest, clientAddress: String) async throws -> NNTPReply {
        switch request {
        case .group(let name):
            guard (try? Newsgroup.validate(name)) != nil else { return .group(nil) }
            let mailbox = try await openGroups.refresh(name, groups: groups)
            try await mailbox.refresh()
            await (mailbox as? Mailbox)?.publishForReading()
            return .group(try await snapshot(name, mailbox))
        case .article(let group, let number, let headOnly):
            return .article(try await article(group: group, number: number, headOnly: headOnly))
        case .articleByID(let id, let headOnly):
            guard let (group, number) = try await locate(id) else { return .article(nil) }
            var found = try await article(group: group, number: number, headOnly: headOnly)
            found?.number = 0
            return .article(found)
        case .overview(let group, let range):
            let mailbox = try await openGroups.mailbox(group, groups: groups)
            let uids = try await Self.messages(mailbox).map(\.uid).filter(range.contains)
            return .overview(Array(zip(uids, try await overviews(mailbox, uids: uids))))
        case .overviewByID(let id):
            guard let (group, number) = try await locate(id) else { return .overview([]) }
            let mailbox = try await openGroups.mailbox(group, groups: groups)
            let line = try await overviews(mailbox, uids: [number])[0]
            return .overview([(UInt32(0), line)])
        case .header(let field, let group, let range):
            let mailbox = try await openGroups.mailbox(group, groups: groups)
            let uids = try await Self.messages(mailbox).map(\.uid).filter(range.contains)
            return .header(Array(zip(uids, try await headerValues(field, mailbox, uids: uids))))
        case .headerByID(let field, let id):
            guard let (group, number) = try await locate(id) else { return .header([]) }
            let mailbox = try await openGroups.mailbox(group, groups: groups)
            let value = try await headerValues(field, mailbox, uids: [number])[0]
            return .header([(UInt32(0), value)])
        case .groups: return .groups(try await summaries())
        case .newNews(let since):
            var pairs: [(String, String)] = []
            for group in try await groups.newsgroups() {
                let mailbox = try await openGroups.mailbox(group.name, groups: groups)
                // Dates read where a backend reads them lazily: a look's messages may have none.
                let uids = try await mailbox.messages(changedSince: 0).filter { ($0.internalDate ?? since) >= since }
                    .map(\.uid)
                for line in try await overviews(mailbox, uids: uids) {
                    if let id = Overview.messageID(line) { pairs.append((id, group.name)) }
                }
            }
            return .newNews(pairs)
        case .authenticate(let user, let password):
            return await authenticate(user, password, clientAddress)
        case .post(let article, let user):
            return .posted(try await post(article, user: user, clientAddress: clientAddress))
        case .transfer(let article, let id):
            return .posted(try await transfer(article, messageID: id))
        }
    }

    private func article(group: String, number: UInt32, headOnly: Bool) async throws -> Article? {
        let mailbox = try await openGroups.mailbox(group, groups: groups)
        // The next articles of a Maildir group are then read at once (`answerAtOnce`), until it changes.
        await (mailbox as? Mailbox)?.publishForReading()
        let bytes: [UInt8]?
        if headOnly {
            bytes = try await mailbox.headerSections(uids: [number])[0]
        } else {
            bytes = try await mailbox.readMessages(uids: [number])[0]
        }
        return bytes.map { article($0, number: number, group: group) }
    }

    private func article(_ bytes: [UInt8], number: UInt32, group: String) -> Article {
        let id = MessageIDField.value(in: bytes)
        return Article(number: number, messageID: id ?? "<\(number).\(group)@\(serverName)>", bytes: bytes)
    }

    /// The overview lines of `uids` (empty strings for articles gone), from the cache or computed and kept.
    private func overviews(_ mailbox: any MailboxHandle, uids: [UInt32]) async throws -> [String] {
        var lines = try await mailbox.derivedValues(uids: uids, kind: Self.overviewKind).map {
            $0.map { String(decoding: $0, as: UTF8.self) }
        }
        let missing = uids.indices.filter { lines[$0] == nil }
        if !missing.isEmpty {
            let messages = try await mailbox.readMessages(uids: missing.map { uids[$0] })
            var computed: [(uid: UInt32, value: [UInt8])] = []
            for (position, message) in zip(missing, messages) {
                guard let message else { continue }
                let line = Overview.line(of: message)
                lines[position] = line
                computed.append((uids[position], Array(line.utf8)))
            }
            try await mailbox.storeDerivedValues(computed, kind: Self.overviewKind)
        }
        return lines.map { $0 ?? "" }
    }

    private func headerValues(_ field: String, _ mailbox: any MailboxHandle, uids: [UInt32]) async throws -> [String] {
        if field.hasPrefix(":") {
            return try await overviews(mailbox, uids: uids).map { Overview.value(of: field, header: nil, overview: $0) }
        }
        return try await mailbox.headerSections(uids: uids).map { Overview.value(of: field, header: $0, overview: nil) }
    }

    /// The group and number of the article with this Message-ID (first group by name), or nil.
    func locate(_ id: String) async throws -> (String, UInt32)? {
        for group in try await groups.newsgroups() {
            let mailbox = try await openGroups.mailbox(group.name, groups: groups)
            // The messages come back only when the group changed since its table was built (the token).
            let look = try await mailbox.look(since: index.token(group: group.name), claimRecent: false)
            if let messages = look.messages {
                let uids = messages.map(\.uid)
                let lines = try await overviews(mailbox, uids: uids)
                let pairs = zip(uids, lines).compactMap { uid, line in Overview.messageID(line).map { ($0, uid) } }
                index.store(group: group.name, token: look.token, pairs: pairs)
            }
            if let number = index.number(of: id, group: group.name) { return (group.name, number) }
        }
        return nil
    }

    private func summaries() async throws -> [GroupSummary] {
        var result: [GroupSummary] = []
        for group in try await groups.newsgroups() {
            let mailbox = try await openGroups.refresh(group.name, groups: groups)
            try await mailbox.refresh()
            let snapshot = try await snapshot(group.name, mailbox)
            result.append(
                GroupSummary(
                    name: group.name,
                    low: snapshot.low,
                    high: snapshot.high,
                    count: snapshot.numbers.count,
                    readOnly: group.readOnly,
                    description: group.description,
                    created: group.created,
                    creator: group.creator
                )
            )
        }
        return result
    }

    /// The group's article numbers and next number, as the mailbox holds them now.
    private func snapshot(_ name: String, _ mailbox: any MailboxHandle) async throws -> GroupSnapshot {
        let look = try await mailbox.look(since: nil, claimRecent: false)
        return GroupSnapshot(name: name, numbers: (look.messages ?? []).map(\.uid), next: look.status.uidNext)
    }

    /// The mailbox's messages now, by UID.
    static func messages(_ mailbox: any MailboxHandle) async throws -> [MailboxMessage] {
        try await mailbox.look(since: nil, claimRecent: false).messages ?? []
    }

    /// Checks a password through the shared throttle; the pause after a failure is the session's to take.
    ///
    /// A users' store that cannot be asked is a failure of the server (`403`), not a wrong password.
    private func authenticate(_ user: String, _ password: String, _ address: String) async -> NNTPReply {
        guard throttle.check(address: address) == .allow else { return .loginThrottled }
        let verified: Bool
        do {
            verified = try await users.verify(address: user, password: password)
        } catch {
            return .failure("the user database is unavailable; try again later")
        }
        if verified {
            throttle.succeeded(address: address)
            return .authenticated(true)
        }
        return .loginRefused(backOff: throttle.failed(address: address))
    }
}

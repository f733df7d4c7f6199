import Foundation

/// Newsgroups live in STORAGE/news/: `groups.json` lists them (written atomically under
/// `news/correo.lock`), and each group is a Maildir `news/NAME/` whose UIDs are its article numbers
/// (RFC 3977 §6.1.1: stable, never reused — the uidlist guarantees it). No user folder can be called
/// `news`, since user folders are addresses with an `@`.
extension MailStore: NewsgroupStore {
    /// STORAGE/news.
    public var newsPath: String { root.path + "/news" }
    private var groupsFile: String { newsPath + "/groups.json" }
    /// The key under which the process keeps group mailboxes: never a normalised address.
    static let newsOwner = "#news"

    /// Every group, sorted by name.
    public func newsgroups() async throws -> [Newsgroup] {
        try await BlockingIO.run { [self] in try readGroups() }
    }

    /// The group called `name`, or nil.
    public func newsgroup(_ name: String) async throws -> Newsgroup? {
        try await newsgroups().first { $0.name == name }
    }

    /// The group whose `address` is `address` (case-insensitive), or nil.
    public func newsgroup(address: String) async -> Newsgroup? {
        let wanted = address.lowercased()
        let started = ContinuousClock.now
        guard let groups = try? await newsgroups() else { return nil }
        rememberGroupAddresses(groups, checked: started)
        return groups.first { $0.address?.lowercased() == wanted }
    }

    /// Makes a group and its Maildir; throws `mailboxExists` when the name or address is taken.
    public func addNewsgroup(_ group: Newsgroup) async throws {
        try Newsgroup.validate(group.name)
        try await BlockingIO.run { [self] in
            try POSIX.makeDirectory(root.path)
            try POSIX.makeDirectory(newsPath)
            try POSIX.withExclusiveLock(newsPath + "/correo.lock") {
                var groups = try readGroups()
                guard !groups.contains(where: { $0.name == group.name }) else {
                    throw MailStoreError.mailboxExists(group.name)
                }
                if let address = group.address?.lowercased(),
                    groups.contains(where: { $0.address?.lowercased() == address })
                {
                    throw MailStoreError.mailboxExists(address)
                }
                try Self.makeMaildir(newsPath + "/" + group.name)
                try POSIX.syncDirectory(newsPath)
                groups.append(group)
                try writeGroups(groups)
            }
        }
    }

    /// Removes a group and its articles.
    public func deleteNewsgroup(_ name: String) async throws {
        try Newsgroup.validate(name)
        try await BlockingIO.run { [self] in
            try POSIX.withExclusiveLock(newsPath + "/correo.lock") {
                var groups = try readGroups()
                guard groups.contains(where: { $0.name == name }) else { throw MailStoreError.mailboxNotFound(name) }
                groups.removeAll { $0.name == name }
                try writeGroups(groups)
                let doomed = newsPath + "/..correo-deleted-" + UUID().uuidString
                if POSIX.isDirectory(newsPath + "/" + name) { try POSIX.rename(newsPath + "/" + name, doomed) }
                try POSIX.syncDirectory(newsPath)
                try? FileManager.default.removeItem(atPath: doomed)
            }
        }
        let key = MailboxKey(user: Self.newsOwner, name: try Self.mailboxName(group: name))
        if let open = mailboxes.withLock({ $0.removeValue(forKey: key) }) { await open.invalidate() }
    }

    /// The shared `Mailbox` of a group (its UIDs are the article numbers); throws `mailboxNotFound`
    /// for a group that does not exist.
    public func newsgroupMailbox(_ name: String) async throws -> Mailbox {
        try Newsgroup.validate(name)
        let key = MailboxKey(user: Self.newsOwner, name: try Self.mailboxName(group: name))
        let path = newsPath + "/" + name
        let newsPath = self.newsPath
        guard await BlockingIO.run({ POSIX.isMaildir(path) }) else { throw MailStoreError.mailboxNotFound(name) }
        let mailbox = mailboxes.withLock { mailboxes -> Mailbox in
            if let existing = mailboxes[key] { return existing }
            let created = Mailbox(
                user: Self.newsOwner,
                name: key.name,
                url: URL(fileURLWithPath: path),
                logger: logger,
                newValidity: { try Self.nextUIDValidity(userPath: newsPath) }
            )
            mailboxes[key] = created
            return created
        }
        try await mailbox.open()
        return mailbox
    }

    /// The group's mailbox for any caller of the interface (`newsgroupMailbox`).
    public func openNewsgroup(_ name: String) async throws -> any MailboxHandle {
        try await newsgroupMailbox(name)
    }

    /// Stores a message in groups and users' INBOXes.
    ///
    /// The groups get a copy each (appended durably), then the users get it as `deliver(_:to:)` does.
    /// For mail that SMTP accepted for a group's address.
    public func deliver(
        _ message: IncomingMessage,
        toGroups groups: [String],
        users: [String]
    ) async throws -> [DeliveryResult] {
        guard !groups.isEmpty else { return try await deliver(message, to: users) }
        let bytes = try await BlockingIO.run { () throws -> [UInt8] in
            _ = try message.finish()
            defer { try? POSIX.unlink(message.path) }
            return try POSIX.readFile(message.path)
        }
        var results: [DeliveryResult] = []
        for group in groups {
            do {
                _ = try await newsgroupMailbox(group).append(bytes: bytes)
                results.append(DeliveryResult(recipient: group, outcome: .delivered(fileName: group)))
            } catch let error as MailStoreError {
                results.append(DeliveryResult(recipient: group, outcome: .failed(error)))
            }
        }
        if !users.isEmpty { results += try await deliver(bytes: bytes, to: users) }
        return results
    }

    /// The group's name as the store's mailbox name (its levels), for keys and messages.
    static func mailboxName(group: String) throws -> MailboxName {
        try MailboxName(group.split(separator: ".").map(String.init))
    }

    private func readGroups() throws -> [Newsgroup] {
        guard POSIX.fileExists(groupsFile) else { return [] }
        let bytes = try POSIX.readFile(groupsFile)
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            return try decoder.decode([Newsgroup].self, from: Data(bytes)).sorted { $0.name < $1.name }
        } catch {
            throw MailStoreError.corruptFile(path: groupsFile, reason: "\(error)")
        }
    }

    private func writeGroups(_ groups: [Newsgroup]) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(groups.sorted { $0.name < $1.name })
        try POSIX.writeFileAtomically(groupsFile, Array(data) + [0x0A], durable: true)
        groupAddresses.withLock { $0.checked = nil }
    }
}

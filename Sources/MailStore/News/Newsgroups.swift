import Foundation

/// One newsgroup as `correo group` made it (RFC 3977 §6.1.1, §7.6).
public struct Newsgroup: Codable, Hashable, Sendable {
    /// The group's name, such as `lists.dev` (lower case, see `Newsgroup.validate`).
    public var name: String
    /// The one-line description of LIST NEWSGROUPS.
    public var description: String
    /// Mail accepted over SMTP for this address is archived in the group (a list-to-news gateway).
    public var address: String?
    /// Posting refused (LIST ACTIVE status `n`, POST answered 440).
    public var readOnly: Bool
    /// When the group was made (LIST ACTIVE.TIMES, NEWGROUPS).
    public var created: Date
    /// Who made it (LIST ACTIVE.TIMES).
    public var creator: String

    /// A group record.
    public init(
        name: String,
        description: String = "",
        address: String? = nil,
        readOnly: Bool = false,
        created: Date = Date(),
        creator: String = "correo"
    ) {
        self.name = name
        self.description = description
        self.address = address
        self.readOnly = readOnly
        self.created = created
        self.creator = creator
    }

    /// Refuses names that are not RFC 3977 §4.1-safe newsgroup names here.
    ///
    /// A safe name is dot-separated levels of ASCII letters, digits, `+`, `-` and `_`, none empty, at
    /// most 200 octets. No wildmat specials, no "/", so a name is also a safe folder name.
    public static func validate(_ name: String) throws {
        func refuse(_ reason: String) -> MailStoreError { .invalidMailboxName(name, reason: reason) }
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= MailStoreDefaults.maximumMailboxComponentBytes else {
            throw refuse("a group name has 1 to \(MailStoreDefaults.maximumMailboxComponentBytes) octets")
        }
        let allowed: (UInt8) -> Bool = { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard bytes.allSatisfy(allowed) else {
            throw refuse("use lower-case letters, digits, '+', '-', '_' and '.' between levels")
        }
        guard !name.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
            throw refuse("a level of the name is empty")
        }
    }
}

/// Newsgroups live in STORAGE/news/: `groups.json` lists them (written atomically under
/// `news/correo.lock`), and each group is a Maildir `news/NAME/` whose UIDs are its article numbers
/// (RFC 3977 §6.1.1: stable, never reused — the uidlist guarantees it). No user folder can be called
/// `news`, since user folders are addresses with an `@`.
extension MailStore {
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
        return (try? await newsgroups())?.first { $0.address?.lowercased() == wanted }
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
    }
}

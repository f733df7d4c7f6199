import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Folder management (RFC 3501 6.3 CREATE, DELETE, RENAME, SUBSCRIBE, LIST). Each change takes the
/// user's `correo.lock`, so two processes never interleave them.
extension MailStore {
    private static let subscriptionsFile = "correo-subscriptions"

    private func userLock(_ userPath: String) -> String { userPath + "/correo.lock" }

    /// The user's mailboxes: INBOX first, then the others by name, with their attributes.
    public func listMailboxes(user address: String) async throws -> [MailboxInfo] {
        try await BlockingIO.run { [self] in
            let userPath = try prepareUser(address)
            let names = try folderNames(userPath: userPath)
            let subscribed = Set(readSubscriptions(userPath: userPath))
            let all = [MailboxName.inbox] + names.sorted { $0.description < $1.description }
            return all.map { name in
                let hasChildren = all.contains { $0 != name && $0.isSelfOrDescendant(of: name) }
                var specialUse: SpecialUse?
                if name.components.count == 1 {
                    specialUse = MailStoreDefaults.specialUseFolders.first { $0.name == name.components[0] }?.use
                }
                return MailboxInfo(
                    name: name,
                    specialUse: specialUse,
                    hasChildren: hasChildren,
                    subscribed: subscribed.contains(name)
                )
            }
        }
    }

    /// The Maildir++ folders (not INBOX) of a user.
    private func folderNames(userPath: String) throws -> [MailboxName] {
        try POSIX.listDirectory(userPath, skipHidden: false).compactMap { entry in
            guard entry.hasPrefix("."), let name = MailboxName(maildirFolder: entry),
                POSIX.isMaildir(userPath + "/" + entry)
            else { return nil }
            return name
        }
    }

    private func folderPath(_ userPath: String, _ name: MailboxName) -> String {
        name.isInbox ? userPath : userPath + "/" + name.maildirFolder
    }

    private func exists(_ userPath: String, _ name: MailboxName) -> Bool {
        POSIX.isMaildir(folderPath(userPath, name))
    }

    /// RFC 3501 6.3.3 CREATE: makes the folder and any missing parents.
    public func createMailbox(user address: String, name: MailboxName) async throws {
        try await BlockingIO.run { [self] in
            let userPath = try prepareUser(address)
            try POSIX.withExclusiveLock(userLock(userPath)) {
                guard !name.isInbox, !exists(userPath, name) else {
                    throw MailStoreError.mailboxExists(name.description)
                }
                try makeWithParents(userPath, name)
            }
        }
    }

    private func makeWithParents(_ userPath: String, _ name: MailboxName) throws {
        var chain: [MailboxName] = []
        var current: MailboxName? = name
        while let level = current {
            chain.insert(level, at: 0)
            current = level.parent
        }
        for level in chain where !exists(userPath, level) {
            try Self.makeMaildir(folderPath(userPath, level))
        }
        try POSIX.syncDirectory(userPath)
    }

    /// RFC 3501 6.3.4 DELETE: removes the folder and its messages.
    ///
    /// INBOX and folders with children are refused.
    public func deleteMailbox(user address: String, name: MailboxName) async throws {
        let user = try Self.normalizedUser(address)
        try await BlockingIO.run { [self] in
            guard !name.isInbox else { throw MailStoreError.cannotDeleteInbox }
            let userPath = try prepareUser(user)
            try POSIX.withExclusiveLock(userLock(userPath)) {
                guard exists(userPath, name) else { throw MailStoreError.mailboxNotFound(name.description) }
                if try folderNames(userPath: userPath).contains(where: { $0 != name && $0.isSelfOrDescendant(of: name) }
                ) {
                    throw MailStoreError.mailboxHasChildren(name.description)
                }
                // Renamed out of sight first, so the folder vanishes at once even if removal is slow.
                let doomed = userPath + "/..correo-deleted-" + UUID().uuidString
                try POSIX.rename(folderPath(userPath, name), doomed)
                try POSIX.syncDirectory(userPath)
                try? FileManager.default.removeItem(atPath: doomed)
            }
        }
        await forgetMailboxes(user: user, under: name)
    }

    /// RFC 3501 6.3.5 RENAME: moves the folder and its children, and their subscriptions.
    ///
    /// Renaming INBOX moves its messages into a new folder and leaves INBOX empty.
    public func renameMailbox(user address: String, from source: MailboxName, to target: MailboxName) async throws {
        let user = try Self.normalizedUser(address)
        await writeRenamesBehind(user: user, under: source)  // the journal stays behind when INBOX's files move
        try await BlockingIO.run { [self] in
            let userPath = try prepareUser(user)
            try POSIX.withExclusiveLock(userLock(userPath)) {
                guard exists(userPath, source) else { throw MailStoreError.mailboxNotFound(source.description) }
                guard !target.isInbox, !exists(userPath, target) else {
                    throw MailStoreError.mailboxExists(target.description)
                }
                guard !target.isSelfOrDescendant(of: source) || source.isInbox else {
                    throw MailStoreError.invalidMailboxName(
                        target.description,
                        reason: "it lies inside the mailbox renamed"
                    )
                }
                if let parent = target.parent { try makeWithParents(userPath, parent) }
                if source.isInbox {
                    try moveInboxMessages(userPath: userPath, to: folderPath(userPath, target))
                } else {
                    let moving = try folderNames(userPath: userPath).filter { $0.isSelfOrDescendant(of: source) }
                    for name in moving.sorted(by: { $0.components.count < $1.components.count }) {
                        let renamed = name.replacingPrefix(source, with: target)
                        try POSIX.rename(folderPath(userPath, name), folderPath(userPath, renamed))
                    }
                    // The subscriptions follow: the client subscribed to that mailbox, not to a name it no longer has.
                    var subscribed = Set(readSubscriptions(userPath: userPath))
                    let followed = subscribed.filter { $0.isSelfOrDescendant(of: source) }
                    if !followed.isEmpty {
                        subscribed.subtract(followed)
                        subscribed.formUnion(followed.map { $0.replacingPrefix(source, with: target) })
                        try writeSubscriptions(Array(subscribed), userPath: userPath)
                    }
                }
                try POSIX.syncDirectory(userPath)
            }
        }
        await forgetMailboxes(user: user, under: source.isInbox ? MailboxName.inbox : source)
        if source.isInbox, let inbox = try? await mailbox(user: user, name: .inbox) {
            _ = try? await inbox.synchronize()
        }
    }

    /// Moves every INBOX file (new/ and cur/) into a fresh folder at `targetPath`, with the keyword
    /// letters' meanings, under the INBOX lock so no UID is handed out meanwhile.
    private func moveInboxMessages(userPath: String, to targetPath: String) throws {
        try Self.makeMaildir(targetPath)
        try POSIX.withExclusiveLock(userPath + "/" + UIDList.lockName) {
            let keywords = userPath + "/" + KeywordList.fileName
            if let bytes = try? POSIX.readFile(keywords) {
                try POSIX.writeFileAtomically(targetPath + "/" + KeywordList.fileName, bytes, durable: true)
            }
            for sub in ["new", "cur"] {
                for file in try POSIX.listDirectory(userPath + "/" + sub) {
                    let target = file.contains(":") ? file : file + ":2,"
                    try POSIX.rename(userPath + "/" + sub + "/" + file, targetPath + "/cur/" + target)
                }
            }
            try POSIX.syncDirectory(targetPath + "/cur")
            try POSIX.syncDirectory(userPath + "/cur")
            try POSIX.syncDirectory(userPath + "/new")
        }
    }

    // MARK: - Subscriptions

    /// RFC 3501 6.3.6 SUBSCRIBE: remembered in `correo-subscriptions` (the mailbox need not exist).
    public func subscribe(user address: String, name: MailboxName) async throws {
        try await changeSubscriptions(address) { $0.insert(name) }
    }

    /// RFC 3501 6.3.7 UNSUBSCRIBE.
    public func unsubscribe(user address: String, name: MailboxName) async throws {
        try await changeSubscriptions(address) { $0.remove(name) }
    }

    /// RFC 3501 6.3.9 LSUB: every subscribed name, whether or not the mailbox exists.
    public func subscriptions(user address: String) async throws -> [MailboxName] {
        try await BlockingIO.run { [self] in readSubscriptions(userPath: try prepareUser(address)) }
    }

    private func changeSubscriptions(
        _ address: String,
        _ change: @escaping @Sendable (inout Set<MailboxName>) -> Void
    )
        async throws
    {
        try await BlockingIO.run { [self] in
            let userPath = try prepareUser(address)
            try POSIX.withExclusiveLock(userLock(userPath)) {
                var names = Set(readSubscriptions(userPath: userPath))
                change(&names)
                try writeSubscriptions(Array(names), userPath: userPath)
            }
        }
    }

    /// One name a line, levels joined by "/" (which no level may contain).
    func readSubscriptions(userPath: String) -> [MailboxName] {
        guard let bytes = try? POSIX.readFile(userPath + "/" + Self.subscriptionsFile) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap {
            try? MailboxName(path: String($0), delimiter: "/")
        }
    }

    func writeSubscriptions(_ names: [MailboxName], userPath: String) throws {
        let text = names.map(\.description).sorted().map { $0 + "\n" }.joined()
        try POSIX.writeFileAtomically(userPath + "/" + Self.subscriptionsFile, Array(text.utf8), durable: false)
    }
}

import Foundation
import MailStore

/// `correo migrate --from postgres://… --to maildir:DIR`: copies the users of the PostgreSQL store into a
/// Maildir store, the way back of `MaildirMigration` (ARCHITECTURE.md, "Store backends").
///
/// Each user keeps its stored password (never hashed again), each mailbox its name, subscription,
/// UIDVALIDITY and UIDNEXT, each message its UID, flags, keywords, INTERNALDATE (the file's mtime),
/// mod-sequence and bytes. A user is built in a staging folder inside DIR (`.correo-migrate/`) and
/// renamed into place whole, then given its passwords.txt line; a user whose Maildir or passwords.txt
/// line exists already is skipped, so a rerun after a complete run changes nothing.
public struct PostgresToMaildirMigration: Sendable {
    /// The PostgreSQL store read; nothing in it is changed.
    public let source: PostgresMailStore
    /// The Maildir store written.
    public let target: MailStore
    /// Where users are built before they are renamed into `target`: on the same file system.
    private let staging: MailStore

    /// A migration from `source` to `target`.
    public init(source: PostgresMailStore, target: MailStore) {
        self.source = source
        self.target = target
        staging = MailStore(root: target.root.appendingPathComponent(".correo-migrate", isDirectory: true))
    }

    /// The users of the PostgreSQL store, sorted.
    public func users() async throws -> [String] {
        try await source.listUsers()
    }

    /// Copies `address` with its mailboxes and messages, or skips it when the target has it.
    public func migrate(user address: String) async throws -> MigratedUser {
        let user = address.lowercased()
        let destination = try target.userDirectory(for: user)
        let listed = try target.users.storedPassword(user) != nil
        if listed || FileManager.default.fileExists(atPath: destination.path) {
            return MigratedUser(address: user, skipped: true)
        }
        guard let password = try await source.storedPasswordHash(user) else {
            throw MailStoreError.invalidPassword("the database keeps no password for this user")
        }
        let staged = try staging.userDirectory(for: user)
        // What an interrupted run left behind is started again.
        try? FileManager.default.removeItem(at: staged)
        var report = MigratedUser(address: user, skipped: false)
        let names = try await source.mailboxNames(user: user)
        for name in names {
            try await copy(name, of: user, into: &report)
        }
        try await dropUnlisted(user, keeping: Set(names))
        try staging.importSubscriptions(user: user, try await source.subscriptions(user: user))
        try FileManager.default.moveItem(at: staged, to: destination)
        // Nothing else is kept in the staging folder; the next user makes it again.
        try? FileManager.default.removeItem(at: staging.root)
        try target.users.add(user, storedPassword: password)
        return report
    }

    /// Removes the staged folders the database does not have: the special-use folders MailStore makes
    /// for every new user, and parents made for a child (kept while they have children: Maildir++
    /// folders on disk need no parent, but MailStore makes them, so they stay as empty mailboxes).
    private func dropUnlisted(_ user: String, keeping names: Set<MailboxName>) async throws {
        let staged = try await staging.listMailboxes(user: user).map(\.name).filter { !names.contains($0) }
        for name in staged.sorted(by: { $0.description > $1.description }) {
            do {
                try await staging.deleteMailbox(user: user, name: name)
            } catch MailStoreError.mailboxHasChildren {
                continue
            }
        }
    }

    /// The source's newsgroups, by name.
    public func newsgroups() async throws -> [Newsgroup] {
        try await source.newsgroups()
    }

    /// Copies `group` with its articles (numbers, dates and bytes kept).
    ///
    /// Skipped when the target lists a group of that name; the group is listed once its articles are
    /// all in place.
    public func migrate(newsgroup group: Newsgroup) async throws -> MigratedUser {
        let mailbox = try await source.newsgroupMailbox(group.name)
        let state = try await source.state(of: mailbox)
        guard
            var folder = try await target.importNewsgroup(
                group,
                uidValidity: state.uidValidity,
                uidNext: state.uidNext
            )
        else { return MigratedUser(address: group.name, skipped: true) }
        var report = MigratedUser(address: group.name, skipped: false)
        try await fill(&folder, from: mailbox, state: state, into: &report)
        try await target.addNewsgroup(group)
        return report
    }

    /// One mailbox: its messages one at a time (one message's bytes in memory), then its counters.
    private func copy(_ name: MailboxName, of user: String, into report: inout MigratedUser) async throws {
        let mailbox = try await source.mailbox(user: user, name: name)
        let state = try await source.state(of: mailbox)
        var folder = try await staging.importMailbox(
            user: user,
            name: name,
            uidValidity: state.uidValidity,
            uidNext: state.uidNext
        )
        try await fill(&folder, from: mailbox, state: state, into: &report)
    }

    /// The messages of `mailbox` into `folder` one at a time, then its counters.
    private func fill(
        _ folder: inout MaildirFolderImport,
        from mailbox: PostgresMailbox,
        state: MailboxStatus,
        into report: inout MigratedUser
    ) async throws {
        for message in try await source.messages(in: mailbox) {
            let bytes = try await source.readMessage(uid: message.uid, in: mailbox)
            try await folder.add(
                bytes,
                uid: message.uid,
                flags: message.flags,
                keywords: message.keywords,
                // PostgreSQL holds every message's date; the fallback is never taken.
                internalDate: message.internalDate ?? Date(timeIntervalSince1970: 0),
                modSeq: message.modSeq
            )
            report.messages += 1
            report.bytes += bytes.count
        }
        try await folder.finish(highestModSeq: state.highestModSeq)
        report.mailboxes += 1
    }
}

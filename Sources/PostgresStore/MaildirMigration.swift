import Foundation
import MailStore

/// `correo migrate --from maildir:DIR --to postgres://…`: copies the users of a Maildir store into the
/// PostgreSQL store so that IMAP clients find what they cached (ARCHITECTURE.md, "Store backends").
///
/// Each user keeps its stored password (never hashed again), each mailbox its name, special use,
/// subscription, UIDVALIDITY and UIDNEXT, each message its UID, flags, keywords, INTERNALDATE,
/// mod-sequence and bytes (the CRLF form IMAP serves; the copies of a hard-linked file share one body).
/// A user is copied in one transaction, and one the target has already is skipped: a rerun after an
/// interruption finishes the rest, a rerun after a complete run changes nothing. Newsgroups are copied
/// the same way, each in one transaction with its articles' numbers kept; the outbound queue is not.
public struct MaildirMigration: Sendable {
    /// The Maildir store read, opened as the servers open it (a folder without a uidlist gets one, a
    /// user without a Maildir an empty one); its messages are not changed.
    public let source: MailStore
    /// The PostgreSQL store written, migrated to the current schema.
    public let target: PostgresMailStore
    /// Hard-linked files already stored, so that their copies share one body across users.
    private let linkedBodies = MaildirLinkedBodies()

    /// A migration from `source` to `target`.
    public init(source: MailStore, target: PostgresMailStore) {
        self.source = source
        self.target = target
    }

    /// The users of the source's passwords.txt, sorted.
    public func users() throws -> [String] {
        try source.users.list()
    }

    /// Copies `address` with its mailboxes and messages, or skips it when the target has it.
    public func migrate(user address: String) async throws -> MigratedUser {
        let user = address.lowercased()
        guard let password = try source.users.storedPassword(user) else { throw MailStoreError.userNotFound(user) }
        let mailboxes = try await source.listMailboxes(user: user)
        let names = Set(mailboxes.map(\.name))
        let withoutMailbox = try await source.subscriptions(user: user).filter { !names.contains($0) }
        let source = source
        let linkedBodies = linkedBodies
        let copied = try await target.importUser(user, passwordHash: password) { importer in
            var copy = UserCopy(importer: importer, linkedBodies: linkedBodies)
            try await importer.addSubscriptions(withoutMailbox)
            for info in mailboxes {
                let mailbox = try await source.mailbox(user: user, name: info.name)
                try await copy.add(mailbox, info)
            }
            return copy
        }
        guard let copied else { return MigratedUser(address: user, skipped: true) }
        linkedBodies.add(copied.newLinkedBodies)
        return copied.report
    }

    /// The source's newsgroups, by name.
    public func newsgroups() async throws -> [Newsgroup] {
        try await source.newsgroups()
    }

    /// Copies `group` with its articles (numbers, dates and bytes kept), or skips it when the target has
    /// a group of that name.
    public func migrate(newsgroup group: Newsgroup) async throws -> MigratedUser {
        let mailbox = try await source.newsgroupMailbox(group.name)
        let records = try await mailbox.datedSnapshot()
        let imported = await UserCopy.imported(mailbox, records: records, name: mailbox.name)
        let linkedBodies = linkedBodies
        let copied = try await target.importNewsgroup(group, mailbox: imported) { importer, made in
            var copy = UserCopy(importer: importer, linkedBodies: linkedBodies)
            copy.report.address = group.name
            copy.report.mailboxes = 1
            try await copy.addMessages(records, of: mailbox, to: made)
            return copy
        }
        guard let copied else { return MigratedUser(address: group.name, skipped: true) }
        linkedBodies.add(copied.newLinkedBodies)
        return copied.report
    }
}

/// One user's copy in progress, inside its import's transaction.
struct UserCopy: Sendable {
    let importer: PostgresUserImport
    let linkedBodies: MaildirLinkedBodies
    var report: MigratedUser
    /// Hard-linked files stored by this import, kept once it commits.
    var newLinkedBodies: [MaildirLinkedBodies.FileKey: Int64] = [:]

    init(importer: PostgresUserImport, linkedBodies: MaildirLinkedBodies) {
        self.importer = importer
        self.linkedBodies = linkedBodies
        report = MigratedUser(address: importer.user, skipped: false)
    }

    /// One mailbox: its counters first (raised past any message found since they were read), then its
    /// messages one at a time, so that only one message's bytes are in memory.
    mutating func add(_ mailbox: Mailbox, _ info: MailboxInfo) async throws {
        let records = try await mailbox.datedSnapshot()
        let imported = await Self.imported(
            mailbox,
            records: records,
            name: info.name,
            specialUse: info.specialUse,
            subscribed: info.subscribed
        )
        let target = try await importer.addMailbox(imported)
        report.mailboxes += 1
        try await addMessages(records, of: mailbox, to: target)
    }

    /// The counters of `mailbox` as the target keeps them, raised past the messages of `records`.
    static func imported(
        _ mailbox: Mailbox,
        records: [MessageRecord],
        name: MailboxName,
        specialUse: SpecialUse? = nil,
        subscribed: Bool = false
    ) async -> ImportedMailbox {
        ImportedMailbox(
            name: name,
            uidValidity: await mailbox.uidValidity,
            uidNext: max(await mailbox.uidNext, (records.last?.uid ?? 0) + 1),
            highestModSeq: max(await mailbox.highestModSeq, records.map(\.modSeq).max() ?? 0),
            specialUse: specialUse,
            subscribed: subscribed
        )
    }

    /// The messages of `records`, read from `mailbox`, into `target` under their own UIDs.
    mutating func addMessages(_ records: [MessageRecord], of mailbox: Mailbox, to target: PostgresMailbox) async throws
    {
        for record in records {
            let key = await mailbox.messageURL(uid: record.uid).flatMap {
                MaildirLinkedBodies.key(of: $0, size: record.size)
            }
            let body: Int64
            if let key, let shared = newLinkedBodies[key] ?? linkedBodies.body(for: key) {
                body = shared
            } else {
                body = try await importer.addBody(try await mailbox.readMessage(uid: record.uid))
                if let key { newLinkedBodies[key] = body }
            }
            try await importer.addMessage(
                body: body,
                uid: record.uid,
                flags: record.flags,
                keywords: record.keywords,
                internalDate: record.internalDate ?? Date(timeIntervalSince1970: 0),
                modSeq: record.modSeq,
                to: target
            )
            report.messages += 1
            report.bytes += record.size
        }
    }
}

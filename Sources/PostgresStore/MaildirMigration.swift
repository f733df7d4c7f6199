import MailStore

/// `correo migrate --from maildir:DIR --to postgres://…`: copies the users of a Maildir store into the
/// PostgreSQL store so that IMAP clients find what they cached (ARCHITECTURE.md, "Store backends").
///
/// Each user keeps its stored password (never hashed again), each mailbox its name, special use,
/// subscription, UIDVALIDITY and UIDNEXT, each message its UID, flags, keywords, INTERNALDATE,
/// mod-sequence and bytes (the CRLF form IMAP serves). A user is copied in one transaction, and one the
/// target has already is skipped: a rerun after an interruption finishes the rest, a rerun after a
/// complete run changes nothing. Newsgroups and the outbound queue are not copied.
public struct MaildirMigration: Sendable {
    /// The Maildir store read (it is opened as the servers open it, never changed otherwise).
    public let source: MailStore
    /// The PostgreSQL store written, migrated to the current schema.
    public let target: PostgresMailStore

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
        guard let password = try source.users.storedPassword(user) else { throw PostgresStoreError.noSuchUser(user) }
        let mailboxes = try await source.listMailboxes(user: user)
        let names = Set(mailboxes.map(\.name))
        let dropped = try await source.subscriptions(user: user).filter { !names.contains($0) }.map(\.description)
        let source = source
        let copied = try await target.importUser(user, passwordHash: password) { importer in
            var report = MigratedUser(address: user, skipped: false)
            report.droppedSubscriptions = dropped.sorted()
            for info in mailboxes {
                let mailbox = try await source.mailbox(user: user, name: info.name)
                try await Self.copy(mailbox, info, to: importer, into: &report)
            }
            return report
        }
        return copied ?? MigratedUser(address: user, skipped: true)
    }

    /// One mailbox: its counters first (raised past any message found since they were read), then its
    /// messages one at a time, so that only one message's bytes are in memory.
    private static func copy(
        _ mailbox: Mailbox,
        _ info: MailboxInfo,
        to importer: PostgresUserImport,
        into report: inout MigratedUser
    ) async throws {
        let records = await mailbox.snapshot()
        let imported = ImportedMailbox(
            name: info.name,
            uidValidity: await mailbox.uidValidity,
            uidNext: max(await mailbox.uidNext, (records.last?.uid ?? 0) + 1),
            highestModSeq: max(await mailbox.highestModSeq, records.map(\.modSeq).max() ?? 0),
            specialUse: info.specialUse,
            subscribed: info.subscribed
        )
        let target = try await importer.addMailbox(imported)
        report.mailboxes += 1
        for record in records {
            let bytes = try await mailbox.readMessage(uid: record.uid)
            try await importer.addMessage(
                bytes,
                uid: record.uid,
                flags: record.flags,
                keywords: record.keywords,
                internalDate: record.internalDate,
                modSeq: record.modSeq,
                to: target
            )
            report.messages += 1
            report.bytes += bytes.count
        }
    }
}

import ArgumentParser
import Foundation
import MailStore
import PostgresStore

/// `correo migrate`: copies a Maildir store into the PostgreSQL store or back (issue 18, "No lock-in").
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy the users, mailboxes and messages of a Maildir store into the PostgreSQL store, or back.",
        discussion: """
            The direction follows the URLs: --from maildir:DIR --to postgres://… or --from postgres://… \
            --to maildir:DIR. Every user is copied with its stored password (not hashed again), every \
            mailbox with its subscription, UIDVALIDITY and UIDNEXT, every message with its UID, flags, \
            keywords, INTERNALDATE and bytes, so that IMAP clients download nothing again. Into PostgreSQL \
            the schema migrations are applied first and each user is copied in one transaction; into a \
            Maildir store each user is built aside and renamed into place whole. A user the target has \
            already is skipped, so a second run changes nothing and a run after an interruption copies the \
            rest. Newsgroups are copied the same way, with their article numbers; the outbound queue is not \
            copied. Stop the servers on the source first: \
            mail delivered during the copy may be missed.
            Example: correo migrate --from maildir:/var/lib/correo --to postgres://correo@127.0.0.1/correo
            """
    )

    @Option(
        help: ArgumentHelp(
            "The store to copy from: maildir:DIR (DIR being the storage folder, as --storage) or postgres://….",
            valueName: "store"
        )
    )
    var from: String

    @Option(
        help: ArgumentHelp(
            "The store to copy to: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE [CORREO_STORE], or maildir:DIR.",
            valueName: "store"
        )
    )
    var to: String?

    func run() async throws {
        if from.hasPrefix("postgres://") || from.hasPrefix("postgresql://") {
            try await runToMaildir()
            return
        }
        let folder = try sourceFolder()
        guard let target = to ?? environment("STORE") else {
            throw ValidationError("--to postgres://… (or CORREO_STORE) is needed")
        }
        if target.hasPrefix("maildir:") {
            throw ValidationError("--from and --to are both Maildir stores: copy the folder instead")
        }
        let url = try PostgresStoreURL(target)
        let source = MailStore(root: folder, logger: quietLogger())
        var failed = 0
        try await reportingDatabaseErrors(url, command: "migrate") {
            failed = try await PostgresMailStore.withStore(url: url, logger: quietLogger()) { store in
                // Applying the schema here (as `db migrate` would) makes a new, empty database enough;
                // it is safe on a current one and refuses a schema newer than this binary.
                try await store.migrate()
                let migration = MaildirMigration(source: source, target: store)
                let users = try await copyUsers(try migration.users(), into: "the database") {
                    try await migration.migrate(user: $0)
                }
                return try await users
                    + copyEach(try await migration.newsgroups(), kind: .newsgroup, into: "the database", name: \.name) {
                        try await migration.migrate(newsgroup: $0)
                    }
            }
        }
        if failed > 0 { throw ExitCode.failure }
    }

    /// `--from postgres://… --to maildir:DIR`: the way back, into a Maildir store (made if missing).
    private func runToMaildir() async throws {
        let url = try PostgresStoreURL(from)
        guard let target = to, target.hasPrefix("maildir:") else {
            throw ValidationError(
                "--to must be maildir:DIR when --from is a PostgreSQL store (to copy between databases, use pg_dump)"
            )
        }
        let folder = URL(fileURLWithPath: String(target.dropFirst("maildir:".count)), isDirectory: true)
        try FileManager.default.createDirectory(
            at: folder,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let maildir = MailStore(root: folder, logger: quietLogger())
        var failed = 0
        try await reportingDatabaseErrors(url, command: "migrate") {
            failed = try await PostgresMailStore.withStore(url: url, logger: quietLogger()) { store in
                let migration = PostgresToMaildirMigration(source: store, target: maildir)
                let users = try await copyUsers(try await migration.users(), into: "the Maildir store") {
                    try await migration.migrate(user: $0)
                }
                return try await users
                    + copyEach(
                        try await migration.newsgroups(),
                        kind: .newsgroup,
                        into: "the Maildir store",
                        name: \.name
                    ) {
                        try await migration.migrate(newsgroup: $0)
                    }
            }
        }
        if failed > 0 { throw ExitCode.failure }
    }

    /// The storage folder of `--from`, which must hold a passwords.txt.
    private func sourceFolder() throws -> URL {
        guard from.hasPrefix("maildir:") else {
            throw ValidationError("--from must be maildir:DIR (the storage folder) or postgres://…")
        }
        let folder = URL(fileURLWithPath: String(from.dropFirst("maildir:".count)), isDirectory: true)
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("passwords.txt").path) else {
            throw ValidationError("\(folder.path) has no passwords.txt: not a correo storage folder")
        }
        return folder
    }

    /// What is copied: users (with their mailboxes) or newsgroups (with their articles).
    private enum Kind: String {
        case user, newsgroup
    }

    /// Copies every user, printing a line for each; returns how many failed (the others are kept).
    private func copyUsers(
        _ users: [String],
        into target: String,
        _ migrate: (String) async throws -> MigratedUser
    ) async throws -> Int {
        try await copyEach(users, kind: .user, into: target, name: { $0 }, migrate)
    }

    /// Copies each of `items`, printing a line for each and a total; returns how many failed.
    private func copyEach<Item>(
        _ items: [Item],
        kind: Kind,
        into target: String,
        name: (Item) -> String,
        _ migrate: (Item) async throws -> MigratedUser
    ) async throws -> Int {
        var copied = 0
        var skipped = 0
        var failed = 0
        for item in items {
            let user = name(item)
            do {
                let report = try await migrate(item)
                if report.skipped {
                    skipped += 1
                    print("\(user): skipped, \(target) has this \(kind.rawValue) already")
                    continue
                }
                copied += 1
                switch kind {
                case .user:
                    print("\(user): \(report.mailboxes) mailboxes, \(report.messages) messages, \(report.bytes) bytes")
                case .newsgroup:
                    print("newsgroup \(user): \(report.messages) articles, \(report.bytes) bytes")
                }
            } catch {
                failed += 1
                // The Maildir's errors say what they are; the database's are told as `db` tells them.
                let reason = error is MailStoreError ? "\(error)" : PostgresStoreError.reason(for: error)
                printError("correo migrate: \(user): not copied: \(reason)")
            }
        }
        print("\(kind.rawValue)s copied \(copied), skipped \(skipped), failed \(failed)")
        return failed
    }
}

import ArgumentParser
import Foundation
import MailStore
import PostgresStore

/// `correo migrate`: copies a Maildir store into the PostgreSQL store (issue 18, "No lock-in").
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a Maildir store's users, mailboxes and messages into the PostgreSQL store.",
        discussion: """
            Every user of passwords.txt is copied with its stored password (not hashed again), every \
            mailbox with its subscription, UIDVALIDITY and UIDNEXT, every message with its UID, flags, \
            keywords and INTERNALDATE, so that IMAP clients download nothing again. The schema migrations \
            are applied first. Each user is copied in one transaction; a user the database has already is \
            skipped, so a second run changes nothing and a run after an interruption copies the rest. \
            Newsgroups and the outbound queue are not copied. Stop the servers on the Maildir first: mail \
            delivered during the copy may be missed.
            Example: correo migrate --from maildir:/var/lib/correo --to postgres://correo@127.0.0.1/correo
            """
    )

    @Option(
        help: ArgumentHelp(
            "The store to copy from: maildir:DIR, DIR being the storage folder (as --storage).",
            valueName: "maildir:DIR"
        )
    )
    var from: String

    @Option(
        help: ArgumentHelp(
            "The PostgreSQL store to copy to: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE. [CORREO_STORE]",
            valueName: "postgres-url"
        )
    )
    var to: String?

    func run() async throws {
        let folder = try sourceFolder()
        guard let target = to ?? environment("STORE") else {
            throw ValidationError("--to postgres://… (or CORREO_STORE) is needed")
        }
        let url = try PostgresStoreURL(target)
        let source = MailStore(root: folder, logger: quietLogger())
        var failed = 0
        try await reportingDatabaseErrors(url, command: "migrate") {
            failed = try await PostgresMailStore.withStore(url: url, logger: quietLogger()) { store in
                // Applying the schema here (as `db migrate` would) makes a new, empty database enough;
                // it is safe on a current one and refuses a schema newer than this binary.
                try await store.migrate()
                return try await copyUsers(MaildirMigration(source: source, target: store))
            }
        }
        if failed > 0 { throw ExitCode.failure }
    }

    /// The storage folder of `--from`, which must hold a passwords.txt.
    private func sourceFolder() throws -> URL {
        guard from.hasPrefix("maildir:") else {
            throw ValidationError("--from must be maildir:DIR (the storage folder)")
        }
        let folder = URL(fileURLWithPath: String(from.dropFirst("maildir:".count)), isDirectory: true)
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("passwords.txt").path) else {
            throw ValidationError("\(folder.path) has no passwords.txt: not a correo storage folder")
        }
        return folder
    }

    /// Copies every user, printing a line for each; returns how many failed (the others are kept).
    private func copyUsers(_ migration: MaildirMigration) async throws -> Int {
        var copied = 0
        var skipped = 0
        var failed = 0
        for user in try migration.users() {
            do {
                let report = try await migration.migrate(user: user)
                if report.skipped {
                    skipped += 1
                    print("\(user): skipped, the database has this user already")
                    continue
                }
                copied += 1
                print("\(user): \(report.mailboxes) mailboxes, \(report.messages) messages, \(report.bytes) bytes")
                for name in report.droppedSubscriptions {
                    print("\(user): subscription to \(name) not kept: no such mailbox")
                }
            } catch {
                failed += 1
                // The Maildir's errors say what they are; the database's are told as `db` tells them.
                let reason = error is MailStoreError ? "\(error)" : PostgresStoreError.reason(for: error)
                FileHandle.standardError.write(Data("correo migrate: \(user): not copied: \(reason)\n".utf8))
            }
        }
        print("users copied \(copied), skipped \(skipped), failed \(failed)")
        return failed
    }
}

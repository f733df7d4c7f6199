import Foundation
import Logging
import MailStore
import PostgresNIO

extension PostgresMailStore {
    /// Makes `address` with `passwordHash` stored as it is (a `PasswordHash` string or a bare plain
    /// password, which `verify` accepts alike) and runs `body` to fill in its mailboxes and messages,
    /// all in one transaction: the user appears in the store complete or not at all.
    ///
    /// Returns nil, changing nothing, when the user exists already: so an interrupted import can be run
    /// again, and a second run after a complete one does nothing. Nothing is announced on the change
    /// channel, as nobody can have a new user's mailbox open.
    public func importUser<Result: Sendable>(
        _ address: String,
        passwordHash: String?,
        _ body: @Sendable (PostgresUserImport) async throws -> Result
    ) async throws -> Result? {
        let user = address.lowercased()
        // ON CONFLICT waits for another import of the same user and then does nothing: no duplicate.
        return try await transaction { connection in
            let rows = try await connection.query(
                """
                INSERT INTO users (address, password_hash) VALUES (\(user), \(passwordHash))
                ON CONFLICT (address) DO NOTHING RETURNING id
                """,
                logger: logger
            )
            var userID: Int64?
            for try await id in rows.decode(Int64.self) { userID = id }
            guard let userID else { return nil }
            return try await body(PostgresUserImport(store: self, connection: connection, userID: userID, user: user))
        }
    }

    /// Makes the newsgroup `group` with its mailbox as `mailbox` describes it (UIDVALIDITY, UIDNEXT,
    /// HIGHESTMODSEQ kept) and runs `body` to fill in its articles, all in one transaction.
    ///
    /// Returns nil, changing nothing, when the store has a group of that name already, as `importUser`
    /// does for a user.
    public func importNewsgroup<Result: Sendable>(
        _ group: Newsgroup,
        mailbox: ImportedMailbox,
        _ body: @Sendable (PostgresUserImport, PostgresMailbox) async throws -> Result
    ) async throws -> Result? {
        try Newsgroup.validate(group.name)
        return try await transaction { connection in
            try await connection.query("LOCK TABLE newsgroups IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            let taken = try await connection.query(
                "SELECT name FROM newsgroups WHERE name = \(group.name)",
                logger: logger
            ).collect()
            guard taken.isEmpty else { return nil }
            let importer = PostgresUserImport(store: self, connection: connection, userID: nil, user: Self.newsOwner)
            let made = try await importer.addMailbox(mailbox)
            try await connection.query(
                """
                INSERT INTO newsgroups (name, mailbox_id, description, address, read_only, created, creator)
                VALUES (\(group.name), \(made.id), \(group.description), \(group.address), \(group.readOnly),
                        \(group.created), \(group.creator))
                """,
                logger: logger
            )
            return try await body(importer, made)
        }
    }
}

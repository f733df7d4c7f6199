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
}

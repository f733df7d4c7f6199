import Foundation
import Logging
import MailStore
import PostgresNIO

extension PostgresMailStore {
    /// Whether `password` is `address`'s password (`users.password_hash`, a `PasswordHash.make` string).
    ///
    /// The hash is computed on a blocking-work thread, never on Swift's cooperative pool. An unknown
    /// user, or one without a password, is checked against a decoy hash of the same cost, so that a
    /// wrong address takes as long as a wrong password. A database error is thrown, not taken for a
    /// wrong password.
    public func verify(address: String, password: String) async throws -> Bool {
        guard Self.isAcceptable(password) else { return false }
        let rows = try await client.query(
            "SELECT password_hash FROM users WHERE address = \(address.lowercased())",
            logger: logger
        )
        var stored: String?
        for try await hash in rows.decode(String?.self) { stored = hash }
        let user = address.lowercased()
        if let stored, verifiedCredentials.contains(user: user, password: password, stored: stored) { return true }
        let decoy = PostgresPasswordWork.decoy
        let verified = await PostgresPasswordWork.run { [stored] in
            guard let stored else {
                _ = PasswordHash.verify(password, against: decoy)
                return false
            }
            return PasswordHash.verify(password, against: stored)
        }
        if verified, let stored { verifiedCredentials.insert(user: user, password: password, stored: stored) }
        return verified
    }

    /// Replaces `address`'s password with a new `scheme` hash of `password` (hashed off the pool);
    /// throws `MailStoreError.userNotFound` when there is no such user, and `MailStoreError.invalidPassword` for an
    /// empty or unacceptable one.
    public func setPassword(_ address: String, password: String, scheme: PasswordScheme = .sha512Crypt) async throws {
        let hash = try await PostgresPasswordWork.run { try PasswordHash.make(password, scheme: scheme) }
        let user = address.lowercased()
        let rows = try await client.query(
            "UPDATE users SET password_hash = \(hash) WHERE address = \(user) RETURNING id",
            logger: logger
        )
        guard try await rows.foundAny() else { throw MailStoreError.userNotFound(user) }
    }

    /// Removes `address` with its mailboxes and messages.
    ///
    /// Bodies no one else uses go in the same transaction. Throws `MailStoreError.userNotFound` when there is no such user.
    public func removeUser(_ address: String) async throws {
        let user = address.lowercased()
        try await transaction { connection in
            // The user's mailboxes are locked first, so that no append to them commits in between.
            let mailboxes = try await connection.query(
                """
                SELECT m.id FROM mailboxes m JOIN users u ON u.id = m.user_id
                WHERE u.address = \(user) ORDER BY m.id FOR UPDATE OF m
                """,
                logger: logger
            )
            var ids: [Int64] = []
            for try await id in mailboxes.decode(Int64.self) { ids.append(id) }
            let gone = try await connection.query(
                "DELETE FROM messages WHERE mailbox_id = ANY(\(ids)::bigint[]) RETURNING body_id",
                logger: logger
            )
            var bodies: [Int64] = []
            for try await body in gone.decode(Int64.self) { bodies.append(body) }
            let removed = try await connection.query(
                "DELETE FROM users WHERE address = \(user) RETURNING id",
                logger: logger
            )
            guard try await removed.foundAny() else { throw MailStoreError.userNotFound(user) }
            try await deleteUnreferencedBodies(bodies, on: connection)
            for id in ids {
                try await connection.query(
                    "SELECT pg_notify(\(PostgresStoreDefaults.changeChannel), \(String(id)))",
                    logger: logger
                )
            }
        }
    }

    /// The users' addresses, sorted.
    public func listUsers() async throws -> [String] {
        let rows = try await client.query("SELECT address FROM users ORDER BY address", logger: logger)
        var addresses: [String] = []
        for try await address in rows.decode(String.self) { addresses.append(address) }
        return addresses
    }

    /// What `PasswordHash.make` accepts (RFC 4616 and common sense): a password it would refuse cannot
    /// be anyone's, so it is refused without hashing.
    static func isAcceptable(_ password: String) -> Bool {
        !password.isEmpty && password.utf8.count <= MailStoreDefaults.maximumPasswordBytes
            && !password.utf8.contains { $0 == 0 || $0 == 0x0A || $0 == 0x0D }
    }
}

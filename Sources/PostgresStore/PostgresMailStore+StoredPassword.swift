import Foundation
import Logging
import MailStorage
import PostgresNIO

extension PostgresMailStore {
    /// `address`'s `users.password_hash` exactly as stored (a `PasswordHash` string or a bare plain
    /// password), nil when it has none; throws `MailStoreError.userNotFound` when there is no such user.
    ///
    /// For copying users to a Maildir store as they are (`correo migrate`): never hashed again.
    public func storedPasswordHash(_ address: String) async throws -> String? {
        let rows = try await client.query(
            "SELECT password_hash FROM users WHERE address = \(address.lowercased())",
            logger: logger
        )
        var found = false
        var stored: String?
        for try await hash in rows.decode(String?.self) {
            found = true
            stored = hash
        }
        guard found else { throw MailStoreError.userNotFound(address.lowercased()) }
        return stored
    }
}

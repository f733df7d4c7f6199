/// The users of a store and their passwords, whichever backend keeps them (passwords.txt, a table).
///
/// What the protocol servers need to log a user in and to know a local recipient, and what the
/// `correo user` commands change. Addresses are compared without regard to case; a password is only
/// ever handed in to be hashed or checked, never given back.
public protocol UserDirectory: Sendable {
    /// Whether `password` is `address`'s password; false for a user who does not exist, after the
    /// same work as for one who does, so that the time taken does not tell which.
    func verify(address: String, password: String) async throws -> Bool
    /// Whether `address` is a user of this store.
    func userExists(_ address: String) async throws -> Bool
    /// Makes a user with INBOX and the special-use folders; `userExists` when there is one.
    func addUser(_ address: String, password: String) async throws
    /// Replaces a user's password; `userNotFound` when there is no such user.
    func setPassword(_ address: String, password: String) async throws
    /// Removes a user: no longer listed, no longer able to log in; `userNotFound` when there is no
    /// such user. What becomes of the mail is the backend's: the Maildir store leaves the folder for the
    /// operator, the PostgreSQL store removes the mailboxes and messages with the user.
    func removeUser(_ address: String) async throws
    /// Every user's address, sorted.
    func listUsers() async throws -> [String]
}

/// The Maildir store as the protocol servers see every store: its users in passwords.txt, its mailboxes
/// as Maildir++ folders.
extension MailStore: UserDirectory, MailboxDirectory {
    /// Whether `password` is `address`'s password in passwords.txt (see `Users.verify`).
    public func verify(address: String, password: String) async throws -> Bool {
        await users.verify(address: address, password: password)
    }

    /// Adds `address`'s passwords.txt line with a SHA512-CRYPT hash, then its Maildir with the special-use
    /// folders, as `correo user add` does.
    public func addUser(_ address: String, password: String) async throws {
        try await BlockingIO.run { [self] in
            try users.add(address, password: password)
            try createUserMaildir(address)
        }
    }

    /// Replaces `address`'s password in passwords.txt.
    public func setPassword(_ address: String, password: String) async throws {
        try await BlockingIO.run { [self] in try users.setPassword(address, password: password) }
    }

    /// Removes `address`'s passwords.txt line: the user can no longer log in.
    ///
    /// Its Maildir stays on disk for the operator to keep or remove (`correo user del` has always left it).
    public func removeUser(_ address: String) async throws {
        try await BlockingIO.run { [self] in try users.remove(address) }
    }

    /// The users of passwords.txt, sorted.
    public func listUsers() async throws -> [String] {
        try await BlockingIO.run { [self] in try users.list() }
    }
}

extension MailStore {
    /// The Maildir folder `name` of `user`, shared with every session of this process.
    public func openMailbox(user: String, name: MailboxName) async throws -> any MailboxHandle {
        try await mailbox(user: user, name: name)
    }
}

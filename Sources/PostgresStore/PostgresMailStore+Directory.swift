import Logging
import MailStorage
import MailStore
import PostgresNIO

/// The PostgreSQL store as the protocol servers see every store: `UserDirectory` and `MailboxDirectory`,
/// answering as the Maildir store does (`Tests/MailStorageTests` holds both to it).
extension PostgresMailStore: UserDirectory, MailboxDirectory {
    // MARK: - UserDirectory

    /// Makes `address` with a new SHA512-CRYPT hash of `password` (hashed off the cooperative pool),
    /// INBOX and the special-use folders; `MailStoreError.userExists` when there is one.
    public func addUser(_ address: String, password: String) async throws {
        let hash = try await PostgresPasswordWork.run { try PasswordHash.make(password, scheme: .sha512Crypt) }
        try await createUser(try MailStore.normalizedUser(address), passwordHash: hash)
    }

    /// Replaces `address`'s password with a new SHA512-CRYPT hash.
    public func setPassword(_ address: String, password: String) async throws {
        try await setPassword(address, password: password, scheme: .sha512Crypt)
    }

    // MARK: - MailboxDirectory

    /// RFC 3501 6.3.8 LIST's view: INBOX first, then the others by name, with their special use,
    /// whether they have children (RFC 3348) and whether the user subscribed to them.
    public func listMailboxes(user: String) async throws -> [MailboxInfo] {
        let address = user.lowercased()
        guard try await userExists(address) else { throw MailStoreError.userNotFound(address) }
        let rows = try await client.query(
            """
            SELECT m.name, m.special_use,
                   EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = m.user_id AND s.name = m.name)
            FROM mailboxes m JOIN users u ON u.id = m.user_id
            WHERE u.address = \(address)
            """,
            logger: logger
        )
        var found: [(name: MailboxName, use: SpecialUse?, subscribed: Bool)] = []
        for try await (name, use, subscribed) in rows.decode((String, String?, Bool).self) {
            found.append((try MailboxName(path: name), use.flatMap(SpecialUse.init(rawValue:)), subscribed))
        }
        let names = found.map(\.name)
        return found.sorted { lhs, rhs in
            lhs.name.isInbox != rhs.name.isInbox ? lhs.name.isInbox : lhs.name.description < rhs.name.description
        }.map { entry in
            MailboxInfo(
                name: entry.name,
                specialUse: entry.use,
                hasChildren: names.contains { $0 != entry.name && $0.isSelfOrDescendant(of: entry.name) },
                subscribed: entry.subscribed
            )
        }
    }

    /// RFC 3501 6.3.3 CREATE: makes `name` and any missing parents (each with its own UIDVALIDITY);
    /// `MailStoreError.mailboxExists` when `name` is there already.
    public func createMailbox(user: String, name: MailboxName) async throws {
        guard !name.isInbox else { throw MailStoreError.mailboxExists(name.description) }
        if let parent = name.parent { try await makeMissing(user: user, parent) }
        try await makeMailbox(user: user, name: name)
    }

    /// Makes `name` and its parents where they are missing; one made meanwhile by another node is no error.
    func makeMissing(user: String, _ name: MailboxName) async throws {
        var chain: [MailboxName] = []
        var current: MailboxName? = name
        while let level = current, !level.isInbox {
            chain.insert(level, at: 0)
            current = level.parent
        }
        let existing = Set(try await mailboxNames(user: user))
        for level in chain where !existing.contains(level) {
            do { try await makeMailbox(user: user, name: level) } catch MailStoreError.mailboxExists {}
        }
    }
}

import MailStore

/// A users' store that cannot be asked, as a PostgreSQL store whose database is down: every call throws.
public struct UnreachableUsers: UserDirectory {
    /// What every call throws.
    public struct Down: Error {}

    /// A directory whose every call fails.
    public init() {}

    /// Throws `Down`.
    public func verify(address: String, password: String) async throws -> Bool { throw Down() }
    /// Throws `Down`.
    public func userExists(_ address: String) async throws -> Bool { throw Down() }
    /// Throws `Down`.
    public func addUser(_ address: String, password: String) async throws { throw Down() }
    /// Throws `Down`.
    public func setPassword(_ address: String, password: String) async throws { throw Down() }
    /// Throws `Down`.
    public func removeUser(_ address: String) async throws { throw Down() }
    /// Throws `Down`.
    public func listUsers() async throws -> [String] { throw Down() }
}

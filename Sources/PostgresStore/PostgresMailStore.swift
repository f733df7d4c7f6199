import Logging
import MailStore
import PostgresNIO

/// The PostgreSQL backend of correo's store: several correo nodes on one database.
///
/// Every write that a protocol acknowledges is committed before the call returns (see `Transaction`).
/// UIDs and mod-sequences are allocated under the mailbox row's lock, so they are unique and strictly
/// increasing per mailbox whichever node writes; each committed change is announced on
/// `PostgresStoreDefaults.changeChannel`. ARCHITECTURE.md, "Store backends", has the whole design.
public final class PostgresMailStore: Sendable {
    /// Where the database is.
    public let url: PostgresStoreURL
    let client: PostgresClient
    let logger: Logger
    /// This node's one `LISTEN`, shared by every open mailbox's `changes()`.
    let changeHub: PostgresChangeHub
    /// Passwords verified lately against the hash the database holds (a reconnecting client skips
    /// the 100,000 rounds; an entry dies when the hash changes, on whichever node).
    let verifiedCredentials = VerifiedCredentials()
    /// The INBOX rows the RCPT checks found, for the deliveries that follow them.
    let inboxCache = InboxCache()
    /// Header sections and derived values read lately, by mailbox row and UID (never stale).
    let valueCache = MessageValueCache()

    private init(url: PostgresStoreURL, client: PostgresClient, logger: Logger) {
        self.url = url
        self.client = client
        self.logger = logger
        changeHub = PostgresChangeHub(logger: logger)
    }

    /// Runs `body` with a store connected to `url` (a pool of connections, opened as needed) and closes
    /// the pool when it returns.
    ///
    /// One connection is made and closed first, so that a wrong URL fails at once with the server's
    /// reason (a refused login, a missing database, nothing listening) rather than after a minute of
    /// the pool's retries.
    public static func withStore<Result: Sendable>(
        url: PostgresStoreURL,
        logger: Logger = Logger(label: "correo.postgres"),
        _ body: (PostgresMailStore) async throws -> Result
    ) async throws -> Result {
        let probe = try await PostgresConnection.connect(
            configuration: try url.connectionConfiguration(),
            id: 0,
            logger: logger
        )
        try await probe.close()
        let client = PostgresClient(configuration: url.configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            let store = PostgresMailStore(url: url, client: client, logger: logger)
            group.addTask { await store.changeHub.run(store) }
            defer { group.cancelAll() }
            return try await body(store)
        }
    }

    // MARK: - Schema

    /// Applies the schema migrations the database lacks; returns the versions applied.
    @discardableResult
    public func migrate(_ migrator: SchemaMigrator = SchemaMigrator()) async throws -> [Int] {
        try await client.withConnection { try await migrator.migrate(on: $0, logger: logger) }
    }

    /// Which schema versions the database has and lacks.
    public func schemaStatus(_ migrator: SchemaMigrator = SchemaMigrator()) async throws -> SchemaMigrator.Status {
        try await client.withConnection { try await migrator.status(on: $0, logger: logger) }
    }

    /// Throws unless the database's schema is the one this binary knows.
    ///
    /// `schemaNotCurrent` while versions are pending, `schemaTooNew` when a newer correo migrated it:
    /// what a command that uses the tables checks first, so that an unmigrated database is said so, not
    /// met with a missing table.
    public func requireCurrentSchema(_ migrator: SchemaMigrator = SchemaMigrator()) async throws {
        let status = try await schemaStatus(migrator)
        guard status.current <= SchemaMigration.latestVersion else {
            throw PostgresStoreError.schemaTooNew(found: status.current, known: SchemaMigration.latestVersion)
        }
        guard status.pending.isEmpty else { throw PostgresStoreError.schemaNotCurrent(pending: status.pending) }
    }

    // MARK: - Users and mailboxes

    /// Makes a user with INBOX and the special-use folders, in one transaction.
    ///
    /// The folders are those `MailStore.createUserMaildir` makes. `passwordHash` is a
    /// `PasswordHash.make` string, or nil for none yet.
    public func createUser(_ address: String, passwordHash: String? = nil) async throws {
        let user = address.lowercased()
        try await existing(.userExists(user)) { try await insertUser(user, passwordHash: passwordHash) }
    }

    private func insertUser(_ user: String, passwordHash: String?) async throws {
        try await transaction { connection in
            let rows = try await connection.query(
                "INSERT INTO users (address, password_hash) VALUES (\(user), \(passwordHash)) RETURNING id",
                logger: logger
            )
            var userID: Int64?
            for try await id in rows.decode(Int64.self) { userID = id }
            guard let userID else { throw MailStoreError.userNotFound(user) }
            var folders: [(name: MailboxName, use: SpecialUse?)] = [(.inbox, nil)]
            for special in MailStoreDefaults.specialUseFolders {
                folders.append((try MailboxName([special.name]), special.use))
            }
            for (name, use) in folders {
                try await connection.query(
                    """
                    INSERT INTO mailboxes (user_id, name, uid_validity, special_use)
                    VALUES (\(userID), \(name.description), nextval('uid_validity_sequence'), \(use?.rawValue))
                    """,
                    logger: logger
                )
                // Subscribed, as the Maildir store subscribes a new user's folders.
                try await connection.query(
                    "INSERT INTO subscriptions (user_id, name) VALUES (\(userID), \(name.description))",
                    logger: logger
                )
            }
        }
    }

    /// Whether `address` is a user of this store.
    public func userExists(_ address: String) async throws -> Bool {
        let rows = try await client.query(
            "SELECT count(*) FROM users WHERE address = \(address.lowercased())",
            logger: logger
        )
        var count = 0
        for try await found in rows.decode(Int.self) { count = found }
        return count > 0
    }

    /// Makes the one mailbox `name` of `user` (not its parents: `createMailbox` is IMAP's CREATE);
    /// `MailStoreError.mailboxExists` when it is there already.
    ///
    /// `uidValidity` keeps a value brought from another store (`correo migrate`); otherwise a new one
    /// is drawn.
    @discardableResult
    public func makeMailbox(
        user: String,
        name: MailboxName,
        uidValidity: UInt32? = nil
    ) async throws
        -> PostgresMailbox
    {
        let address = user.lowercased()
        let rows = try await existing(.mailboxExists(name.description)) {
            try await transaction { connection in
                try await connection.query(
                    """
                    INSERT INTO mailboxes (user_id, name, uid_validity)
                    SELECT id, \(name.description),
                           COALESCE(\(uidValidity.map(Int64.init))::bigint, nextval('uid_validity_sequence'))
                    FROM users WHERE address = \(address)
                    RETURNING id, uid_validity
                    """,
                    logger: logger
                ).collect()
            }
        }
        guard let mailbox = try Self.mailbox(in: rows, user: address, name: name) else {
            throw MailStoreError.userNotFound(address)
        }
        return mailbox
    }

    /// The mailbox `name` of `user`; throws `MailStoreError.mailboxNotFound` when there is none.
    public func mailbox(user: String, name: MailboxName) async throws -> PostgresMailbox {
        let address = user.lowercased()
        let rows = try await client.query(
            """
            SELECT m.id, m.uid_validity FROM mailboxes m JOIN users u ON u.id = m.user_id
            WHERE u.address = \(address) AND m.name = \(name.description)
            """,
            logger: logger
        ).collect()
        guard let mailbox = try Self.mailbox(in: rows, user: address, name: name) else {
            throw MailStoreError.mailboxNotFound(name.description)
        }
        return mailbox
    }

    /// The mailbox of the first row of (id, uid_validity), if any.
    private static func mailbox(in rows: [PostgresRow], user: String, name: MailboxName) throws -> PostgresMailbox? {
        guard let (id, validity) = try rows.first?.decode((Int64, Int64).self) else { return nil }
        return PostgresMailbox(id: id, user: user, name: name, uidValidity: UInt32(truncatingIfNeeded: validity))
    }

    /// The mailboxes of `user`, by name.
    public func mailboxNames(user: String) async throws -> [MailboxName] {
        let rows = try await client.query(
            """
            SELECT m.name FROM mailboxes m JOIN users u ON u.id = m.user_id
            WHERE u.address = \(user.lowercased()) ORDER BY m.name
            """,
            logger: logger
        )
        var names: [MailboxName] = []
        for try await name in rows.decode(String.self) { names.append(try MailboxName(path: name)) }
        return names
    }

    /// The mailbox's UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and message count, as one consistent reading.
    public func state(of mailbox: PostgresMailbox) async throws -> PostgresMailboxState {
        try await client.withConnection { try await counters(of: mailbox, on: $0) }
    }

    // MARK: - Transactions

    /// Runs `body`, reporting a unique violation as `error`: the caller knows what the row was.
    func existing<Result: Sendable>(
        _ error: MailStoreError,
        _ body: () async throws -> Result
    ) async throws -> Result {
        do { return try await body() } catch PostgresStoreError.alreadyExists { throw error }
    }

    /// Runs `body` in a transaction on one pooled connection; the error of a unique violation becomes
    /// `PostgresStoreError.alreadyExists`.
    func transaction<Result: Sendable>(
        _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await client.withConnection { connection in
                try await Transaction.run(on: connection, logger: logger, body)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == PostgresStoreDefaults.uniqueViolation {
            throw PostgresStoreError.alreadyExists(error.serverInfo?[.detail] ?? "duplicate")
        }
    }
}

import Logging
import PostgresNIO

/// Applies the schema migrations a database lacks (`correo db migrate`) and tells which it has
/// (`correo db status`).
///
/// Each migration runs in its own transaction with the insert of its `schema_migrations` row, so a
/// failure leaves the database at the version before it (PostgreSQL's DDL is transactional). Nodes
/// that migrate at the same time queue on an advisory lock: the second finds the work done.
/// Rerunning is harmless.
public struct SchemaMigrator: Sendable {
    /// The migrations this binary knows (`SchemaMigration.all`, or fewer in tests).
    public let migrations: [SchemaMigration]

    /// The key of the advisory lock that serialises migrations (any constant that nothing else uses).
    static let lockKey: Int64 = 0x636F_7272_656F_6462  // "correodb"

    /// A migrator for `migrations`, in version order.
    public init(migrations: [SchemaMigration] = SchemaMigration.all) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// What a database has and lacks.
    public struct Status: Sendable, Equatable {
        /// The versions applied, ascending.
        public var applied: [Int]
        /// The versions this binary knows that are not applied yet, ascending.
        public var pending: [Int]
        /// The newest version applied (0 for an empty database).
        public var current: Int { applied.last ?? 0 }
    }

    /// Applies every pending migration in order and returns the versions it applied (empty when the
    /// database was current).
    ///
    /// Throws `PostgresStoreError.schemaTooNew` when the database has a version this binary does not
    /// know: a node older than the schema must not write to it.
    @discardableResult
    public func migrate(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        var done: [Int] = []
        for migration in migrations {
            let applied = try await Transaction.run(on: connection, logger: logger) { connection in
                try await apply(migration, on: connection, logger: logger)
            }
            if applied { done.append(migration.version) }
        }
        return done
    }

    /// The versions applied and pending.
    public func status(on connection: PostgresConnection, logger: Logger) async throws -> Status {
        let applied = try await Self.appliedVersions(on: connection, logger: logger)
        let pending = migrations.map(\.version).filter { !applied.contains($0) }
        return Status(applied: applied, pending: pending)
    }

    /// One migration's statements and its row, in the caller's transaction, unless another node
    /// applied it first (they queue on the advisory lock, held to the end of the transaction).
    private func apply(
        _ migration: SchemaMigration,
        on connection: PostgresConnection,
        logger: Logger
    )
        async throws -> Bool
    {
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
        try await connection.query(Self.createTable, logger: logger)
        let applied = try await Self.appliedVersions(on: connection, logger: logger)
        try check(applied)
        guard !applied.contains(migration.version) else { return false }
        logger.info("applying schema migration", metadata: ["version": "\(migration.version)"])
        for statement in SQLStatements.split(migration.sql) {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        try await connection.query(
            """
            INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))
            """,
            logger: logger
        )
        return true
    }

    private func check(_ applied: [Int]) throws {
        let known = migrations.last?.version ?? 0
        if let newest = applied.last, newest > known {
            throw PostgresStoreError.schemaTooNew(found: newest, known: known)
        }
    }

    private static func appliedVersions(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
        var found = false
        for try await present in exists.decode(Bool.self) { found = present }
        guard found else { return [] }
        let rows = try await connection.query("SELECT version FROM schema_migrations ORDER BY version", logger: logger)
        var versions: [Int] = []
        for try await version in rows.decode(Int.self) { versions.append(version) }
        return versions
    }

    private static let createTable: PostgresQuery = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name    text NOT NULL,
            applied timestamptz NOT NULL DEFAULT now()
        )
        """
}

/// One version of the PostgreSQL schema: the SQL that takes the database from the version before it
/// to this one, applied in one transaction together with its row in `schema_migrations`.
public struct SchemaMigration: Sendable, Hashable {
    /// The version this migration brings the schema to (1, 2, …; no gaps).
    public let version: Int
    /// What it adds, for `correo db status`.
    public let name: String
    /// Its statements, separated by `;` (split by `SQLStatements`, which knows quotes and comments).
    public let sql: String

    /// Every migration this binary knows, in order.
    ///
    /// A new schema change is a new version appended here, never an edit of one that has shipped.
    public static let all: [SchemaMigration] = [version1, version2, version3, version4]

    /// The newest version this binary knows.
    public static var latestVersion: Int { all.last?.version ?? 0 }
}

import ArgumentParser
import MailStore
import PostgresStore

/// Which store a command works: the storage folder's, or a PostgreSQL store's with `--store`.
///
/// The database is the one every node of `correo serve --store` shares; `correo queue` and `correo
/// group` take this option.
struct BackendStoreOption: ParsableArguments {
    @OptionGroup var storage: StorageOption

    @Option(
        help: """
            Work on this PostgreSQL store (postgres://…, as `correo serve --store`) instead of the storage \
            folder. [CORREO_STORE]
            """
    )
    var store: String?

    /// Whether the command works on a database rather than the storage folder.
    var usesDatabase: Bool { (store ?? environment("STORE")) != nil }

    /// Runs `body` with the store: the storage folder's, or the database once its schema is known to be
    /// current (a database's failure reported as one line, exit status 1, as `correo db` does).
    func withBackend(
        command: String,
        _ body: @escaping (any MailStorageBackend) async throws -> Void
    ) async throws {
        guard let text = store ?? environment("STORE") else { return try await body(storage.store) }
        let url: PostgresStoreURL
        do { url = try PostgresStoreURL(text) } catch { throw ValidationError("--store: \(error)") }
        try await reportingDatabaseErrors(url, command: command) {
            try await PostgresMailStore.withStore(url: url, logger: quietLogger()) { database in
                try await database.requireCurrentSchema()
                try await body(database)
            }
        }
    }

    /// Runs `body` with the outbound queue: STORAGE/queue/, or the database's.
    func withQueue(_ body: @escaping (any OutboundQueueStore) async throws -> Void) async throws {
        try await withBackend(command: "queue") { try await body($0.outboundQueue) }
    }
}

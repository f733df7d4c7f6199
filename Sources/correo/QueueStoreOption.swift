import ArgumentParser
import MailStore
import PostgresStore

/// Which outbound queue `correo queue` works: STORAGE/queue/, or a PostgreSQL store's with `--store`
/// (the one every node of `correo serve --store` shares).
struct QueueStoreOption: ParsableArguments {
    @OptionGroup var storage: StorageOption

    @Option(
        help: """
            Work the outbound queue of this PostgreSQL store (postgres://…, as `correo serve --store`) \
            instead of STORAGE/queue/. [CORREO_STORE]
            """
    )
    var store: String?

    /// Runs `body` with the queue: the storage folder's, or the database's once its schema is known to be
    /// current (a database's failure reported as one line, exit status 1, as `correo db` does).
    func withQueue(_ body: @escaping (any OutboundQueueStore) async throws -> Void) async throws {
        guard let text = store ?? environment("STORE") else { return try await body(storage.store.queue) }
        let url: PostgresStoreURL
        do { url = try PostgresStoreURL(text) } catch { throw ValidationError("--store: \(error)") }
        try await reportingDatabaseErrors(url, command: "queue") {
            try await PostgresMailStore.withStore(url: url, logger: quietLogger()) { database in
                try await database.requireCurrentSchema()
                try await body(database)
            }
        }
    }
}

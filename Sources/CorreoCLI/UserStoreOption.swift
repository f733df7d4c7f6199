import ArgumentParser
import Foundation
import MailStorage
import PostgresStore

/// `--store`: the `user` commands on a PostgreSQL store's users instead of STORAGE/passwords.txt.
struct UserStoreOption: ParsableArguments {
    @Option(
        help: """
            Change the users of this PostgreSQL store (postgres://…, as `correo db`) instead of \
            STORAGE/passwords.txt. [CORREO_STORE]
            """
    )
    var store: String?

    /// The PostgreSQL store named by the flag, else by `CORREO_STORE`; nil for the Maildir store.
    func postgresURL() throws -> PostgresStoreURL? {
        guard let text = store ?? environment("STORE") else { return nil }
        do { return try PostgresStoreURL(text) } catch { throw ValidationError("--store: \(error)") }
    }

    /// Runs `body` with the PostgreSQL store's users once its schema is known to be current, reporting
    /// what goes wrong (a refused login, a schema not migrated, a user that exists) as one line on
    /// standard error and exiting 1, as `correo db` does.
    static func withUsers(
        at url: PostgresStoreURL,
        _ body: @escaping (any UserDirectory) async throws -> Void
    ) async throws {
        try await reportingDatabaseErrors(url, command: "user") {
            try await PostgresMailStore.withStore(url: url, logger: quietLogger()) { store in
                try await store.requireCurrentSchema()
                try await body(store)
            }
        }
    }
}

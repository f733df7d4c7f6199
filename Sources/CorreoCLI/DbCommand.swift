import ArgumentParser
import Foundation
import Logging
import PostgresStore

/// `correo db`: the PostgreSQL store's schema (ARCHITECTURE.md, "Store backends").
struct DbCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Apply or show the PostgreSQL store's schema migrations.",
        discussion: """
            The PostgreSQL store keeps users, mailboxes and messages in one database that several correo \
            nodes share. Its schema is versioned: `correo db migrate` applies the versions the database \
            lacks, each in its own transaction, and is safe to rerun or to run on several nodes at once.
            Example: correo db migrate --store postgres://correo@127.0.0.1:5432/correo
            """,
        subcommands: [Migrate.self, Status.self]
    )

    /// `--store`: where the database is.
    struct StoreOption: ParsableArguments {
        @Option(
            help: """
                The PostgreSQL store: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, with ?host=/SOCKETDIR \
                for a Unix socket and ?sslmode=require for TLS. [CORREO_STORE]
                """
        )
        var store: String?

        /// The parsed URL: the flag, else `CORREO_STORE`.
        func url() throws -> PostgresStoreURL {
            guard let text = store ?? environment("STORE") else {
                throw ValidationError("--store postgres://… (or CORREO_STORE) is needed")
            }
            return try PostgresStoreURL(text)
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the schema versions the database lacks (none when it is current)."
        )
        @OptionGroup var options: StoreOption

        func run() async throws {
            let url = try options.url()
            try await reportingDatabaseErrors(url) {
                let applied = try await PostgresMailStore.withStore(url: url, logger: quietLogger()) { store in
                    try await store.migrate()
                }
                let latest = SchemaMigration.latestVersion
                if applied.isEmpty {
                    print("\(url): schema is current (version \(latest))")
                } else {
                    for version in applied {
                        let name = SchemaMigration.all.first { $0.version == version }?.name ?? ""
                        print("applied version \(version): \(name)")
                    }
                    print("\(url): schema at version \(latest)")
                }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the schema versions applied and pending, and how much the store holds."
        )
        @OptionGroup var options: StoreOption

        func run() async throws {
            let url = try options.url()
            try await reportingDatabaseErrors(url) {
                let pending = try await PostgresMailStore.withStore(url: url, logger: quietLogger()) { store in
                    let status = try await store.schemaStatus()
                    print("store: \(url)")
                    print("schema version: \(status.current) (this binary knows \(SchemaMigration.latestVersion))")
                    for version in status.pending {
                        let name = SchemaMigration.all.first { $0.version == version }?.name ?? ""
                        print("pending: version \(version): \(name)")
                    }
                    if status.pending.isEmpty, status.current > 0 {
                        let counts = try await store.counts()
                        print(
                            "users \(counts.users), mailboxes \(counts.mailboxes), messages \(counts.messages), "
                                + "bodies \(counts.bodies) in \(counts.chunks) chunks"
                        )
                    }
                    return status.pending
                }
                // Pending versions make the status fail, so that a deployment script can stop on it.
                if !pending.isEmpty { throw ExitCode(2) }
            }
        }
    }
}

/// The pool's own messages (connection attempts and the like) only when they are errors.
func quietLogger() -> Logger {
    var logger = Logger(label: "correo.db")
    logger.logLevel = .error
    return logger
}

/// Prints what went wrong as one line on standard error and exits 1, without a stack trace.
func reportingDatabaseErrors(
    _ url: PostgresStoreURL,
    command: String = "db",
    _ body: () async throws -> Void
) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        printError("correo \(command): \(url): \(PostgresStoreError.reason(for: error))")
        throw ExitCode.failure
    }
}

import MailStorage
import MailStore
import PostgresStore
import Testing

/// Each backend of the store, made fresh for one test: the conformance suites (and the news store's
/// tests) run every test on each.
public enum StorageBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case maildir
    case postgres

    /// The backend's name in test reports.
    public var testDescription: String { rawValue }

    /// Runs `body` with an empty store of this backend (a temporary folder, or a private PostgreSQL
    /// server with the schema applied), removed afterwards.
    public func with(_ body: (any MailStorageBackend) async throws -> Void) async throws {
        switch self {
        case .maildir:
            try await TemporaryDirectory.with { directory in try await body(MailStore(root: directory.url)) }
        case .postgres:
            try await PostgresServer.with { server throws in
                try await PostgresMailStore.withStore(url: try PostgresStoreURL(server.url)) { store throws in
                    try await store.migrate()
                    try await body(store)
                }
            }
        }
    }
}

/// A mailbox name from its levels, for fixtures.
public func name(_ levels: String...) throws -> MailboxName { try MailboxName(levels) }

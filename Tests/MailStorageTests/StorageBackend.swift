import MailStorage
import MailStore
import MailTestSupport
import PostgresStore
import Testing

/// Each backend of the store, made fresh for one test: the conformance suite runs every test on each.
enum StorageBackend: String, CaseIterable, CustomTestStringConvertible {
    case maildir
    case postgres

    var testDescription: String { rawValue }

    /// What the protocol servers see of a store.
    typealias Directory = UserDirectory & MailboxDirectory

    /// Runs `body` with an empty store of this backend (a temporary folder, or a private PostgreSQL
    /// server with the schema applied), removed afterwards.
    func with(_ body: (any Directory) async throws -> Void) async throws {
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
func name(_ levels: String...) throws -> MailboxName { try MailboxName(levels) }

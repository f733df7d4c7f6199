import MailStore
import MailTestSupport
import PostgresStore

/// A fresh server, migrated, with one user: the start of every message test.
enum PostgresStoreFixture {
    static let user = "ana@example.com"

    /// Runs `body` with a migrated store that has `user` (INBOX and the special-use folders).
    static func with<T: Sendable>(_ body: (PostgresMailStore, PostgresMailbox) async throws -> T) async throws -> T {
        try await PostgresServer.with { server throws in
            try await PostgresMailStore.withStore(url: try PostgresStoreURL(server.url)) { store throws in
                try await store.migrate()
                try await store.createUser(user)
                return try await body(store, try await store.mailbox(user: user, name: .inbox))
            }
        }
    }

    /// A message of about `bodyBytes` with CRLF lines whose content depends on `seed`.
    static func message(seed: Int, bodyBytes: Int = 200) -> [UInt8] {
        var bytes = Array("From: bo@example.com\r\nTo: \(user)\r\nSubject: message \(seed)\r\n\r\n".utf8)
        var line = 0
        while bytes.count < bodyBytes {
            bytes += Array(
                "line \(line) of message \(seed): \(String(repeating: "x", count: (seed + line) % 50))\r\n".utf8
            )
            line += 1
        }
        return bytes
    }
}

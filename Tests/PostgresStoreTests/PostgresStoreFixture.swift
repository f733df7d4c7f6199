import MailStore
import MailTestSupport
import PostgresStore
import Testing

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

    /// Appends `count` messages (seeds from `firstSeed` on) to `mailbox` one after another; their UIDs.
    static func append(
        _ count: Int,
        firstSeed: Int,
        to mailbox: PostgresMailbox,
        in store: PostgresMailStore
    ) async throws -> [UInt32] {
        var uids: [UInt32] = []
        for index in 0..<count { uids.append(try await store.append(message(seed: firstSeed + index), to: mailbox)) }
        return uids
    }

    /// Checks what concurrent writers got: each one's UIDs increasing, all together exactly 1...total.
    static func expectUniqueIncreasing(_ results: [[UInt32]], total: Int) -> [UInt32] {
        for uids in results { #expect(uids == uids.sorted() && Set(uids).count == uids.count) }
        let all = results.flatMap { $0 }.sorted()
        #expect(all == Array(1...UInt32(total)))
        return all
    }
}

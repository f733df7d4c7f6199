import Foundation
import MailStore
import MailTestSupport
import PostgresStore
import Testing

/// `correo migrate` carries newsgroups both ways: a group with gaps in its numbering (articles removed)
/// keeps every field, its UIDVALIDITY, its article numbers, dates and bytes, and its next number, so a
/// newsreader's .newsrc stays right; a second run skips it.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct NewsgroupMigrationTests {
    static let created = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func aGroupGoesToTheDatabaseAndBackWithItsNumbers() async throws {
        try await TemporaryDirectory.with { directory in
            let original = MailStore(root: directory.url.appendingPathComponent("original", isDirectory: true))
            let group = Newsgroup(
                name: "lists.dev",
                description: "Developers",
                address: "dev@example.com",
                created: Self.created,
                creator: "ana"
            )
            try await original.addNewsgroup(group)
            try await original.addNewsgroup(Newsgroup(name: "empty", readOnly: true, created: Self.created))
            let mailbox = try await original.newsgroupMailbox("lists.dev")
            for seed in 1...5 {
                _ = try await mailbox.append(bytes: MaildirMigrationTests.message(seed))
            }
            // Articles 2 and 4 expire: the numbers left are 1, 3, 5 and the next is 6.
            _ = try await mailbox.changeFlags(uids: [2, 4], flags: .deleted, keywords: [], operation: .add)
            try await mailbox.expunge(uids: [2, 4])
            let expected = try await Self.contents(of: original, "lists.dev")
            #expect(expected.numbers == [1, 3, 5] && expected.status.uidNext == 6)

            let copyRoot = directory.url.appendingPathComponent("copy", isDirectory: true)
            try await PostgresServer.with { server throws in
                try await PostgresMailStore.withStore(url: try PostgresStoreURL(server.url)) { store throws in
                    try await store.migrate()
                    let there = MaildirMigration(source: original, target: store)
                    let groups = try await there.newsgroups()
                    #expect(groups.map(\.name) == ["empty", "lists.dev"])
                    let report = try await there.migrate(newsgroup: groups[1])
                    #expect(!report.skipped && report.messages == 3 && report.address == "lists.dev")
                    #expect(try await !there.migrate(newsgroup: groups[0]).skipped)
                    #expect(try await there.migrate(newsgroup: groups[1]).skipped, "a second run skips it")
                    #expect(try await store.newsgroups() == (try await original.newsgroups()))
                    #expect(try await Self.contents(of: store, "lists.dev") == expected)

                    let back = PostgresToMaildirMigration(source: store, target: MailStore(root: copyRoot))
                    for group in try await back.newsgroups() {
                        #expect(try await !back.migrate(newsgroup: group).skipped)
                    }
                    for group in try await back.newsgroups() {
                        #expect(try await back.migrate(newsgroup: group).skipped)
                    }
                }
            }
            // Opened afresh, as a server would open it.
            let copy = MailStore(root: copyRoot)
            #expect(try await copy.newsgroups() == (try await original.newsgroups()))
            #expect(try await Self.contents(of: copy, "lists.dev") == expected)
            // New articles continue the old numbering.
            let next = try await copy.newsgroupMailbox("lists.dev").append(bytes: MaildirMigrationTests.message(9))
            #expect(next == 6)
        }
    }

    /// What a reader of the group sees: its counters, article numbers, dates and bytes.
    struct Contents: Equatable {
        var status: MailboxStatus
        var numbers: [UInt32]
        var dates: [Date?]
        var articles: [[UInt8]?]
    }

    static func contents(of store: any NewsgroupStore, _ name: String) async throws -> Contents {
        let group = try await store.openNewsgroup(name)
        let look = try await group.look(since: nil, claimRecent: false)
        let messages = look.messages ?? []
        var status = look.status
        // HIGHESTMODSEQ is at least kept, not equal: the target counts its own writes.
        status.highestModSeq = 0
        return Contents(
            status: status,
            numbers: messages.map(\.uid),
            // A look may leave dates unread (a Maildir's first scan): they are asked for.
            dates: try await group.messages(uids: messages.map(\.uid)).map {
                $0?.internalDate.map { Date(timeIntervalSince1970: $0.timeIntervalSince1970.rounded(.down)) }
            },
            articles: try await group.readMessages(uids: messages.map(\.uid))
        )
    }
}

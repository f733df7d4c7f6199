import Foundation
import MailStorage
import MailTestSupport
import Testing

/// `NewsgroupStore` as every backend must answer it: groups kept with every field, names and addresses
/// unique (addresses without case), each group's mailbox numbering articles from 1, and a group gone
/// with its articles.
@Suite(.offThePool, .timeLimit(.minutes(5))) struct NewsgroupStoreConformanceTests {
    /// Whole seconds: both backends keep a group's creation time to the second at least.
    static let created = Date(timeIntervalSince1970: 1_700_000_000)

    @Test(arguments: StorageBackend.allCases)
    func groupsAreKeptWithEveryFieldAndFoundByNameAndAddress(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            #expect(try await store.newsgroups().isEmpty)
            let dev = Newsgroup(
                name: "lists.dev",
                description: "Developers",
                address: "dev@example.com",
                readOnly: false,
                created: Self.created,
                creator: "ana"
            )
            let announce = Newsgroup(name: "announce", readOnly: true, created: Self.created, creator: "bo")
            try await store.addNewsgroup(dev)
            try await store.addNewsgroup(announce)
            #expect(try await store.newsgroups() == [announce, dev], "sorted by name, every field kept")
            #expect(try await store.newsgroup("lists.dev") == dev)
            #expect(try await store.newsgroup("lists") == nil)
            #expect(try await store.newsgroup(address: "DEV@Example.COM") == dev)
            #expect(try await store.newsgroup(address: "other@example.com") == nil)

            await #expect(throws: MailStoreError.mailboxExists("lists.dev")) {
                try await store.addNewsgroup(Newsgroup(name: "lists.dev"))
            }
            await #expect(throws: MailStoreError.self, "an address taken, in another case") {
                try await store.addNewsgroup(Newsgroup(name: "lists.other", address: "Dev@example.com"))
            }
            for bad in ["", "Upper", "a..b", ".a", "a/b", "a*", "../x"] {
                await #expect(throws: MailStoreError.self, "\(bad)") {
                    try await store.addNewsgroup(Newsgroup(name: bad))
                }
            }
            #expect(try await store.newsgroups().map(\.name) == ["announce", "lists.dev"], "nothing half made")
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func aGroupsMailboxNumbersArticlesAndGoesWithTheGroup(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            try await store.addNewsgroup(Newsgroup(name: "misc.test"))
            try await store.addNewsgroup(Newsgroup(name: "misc.other"))
            let group = try await store.openNewsgroup("misc.test")
            let article = Array("From: ana@example.com\r\nSubject: one\r\nNewsgroups: misc.test\r\n\r\nHello.\r\n".utf8)
            let first = try await group.append(bytes: article, flags: [], keywords: [], internalDate: Self.created)
            let second = try await group.append(bytes: article, flags: [], keywords: [], internalDate: Self.created)
            #expect((first, second) == (1, 2), "article numbers start at 1 and grow")
            let status = try await group.status()
            #expect(status.messages == 2 && status.uidNext == 3 && status.uidValidity > 0)
            #expect(try await group.readMessage(uid: 2) == article)

            // Another handle of the group, from the store again, sees the same articles.
            let again = try await store.openNewsgroup("misc.test")
            let look = try await again.look(since: nil, claimRecent: false)
            #expect(look.messages?.map(\.uid) == [1, 2] && look.status.uidValidity == status.uidValidity)
            #expect(try await store.openNewsgroup("misc.other").status().messages == 0, "groups are apart")

            try await store.deleteNewsgroup("misc.test")
            #expect(try await store.newsgroups().map(\.name) == ["misc.other"])
            await #expect(throws: MailStoreError.mailboxNotFound("misc.test")) {
                _ = try await store.openNewsgroup("misc.test")
            }
            await #expect(throws: MailStoreError.mailboxNotFound("misc.test")) {
                try await store.deleteNewsgroup("misc.test")
            }
            // Made again, the group is a new mailbox: no old article comes back under an old number.
            try await store.addNewsgroup(Newsgroup(name: "misc.test"))
            let remade = try await store.openNewsgroup("misc.test").status()
            #expect(remade.messages == 0 && remade.uidValidity != status.uidValidity)
        }
    }
}

import Foundation
import MailStore
import MailTestSupport
import PostgresStore
import Testing

/// Messages in the PostgreSQL store: bytes in chunks, stored once, UIDs under the mailbox's lock.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct PostgresMessageTests {
    @Test func aThreeMegabyteMessageComesBackByteForByteFromItsChunks() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let bytes = PostgresStoreFixture.message(seed: 7, bodyBytes: 3 * 1024 * 1024)
            let date = Date(timeIntervalSince1970: 1_700_000_000)
            let uid = try await store.append(bytes, to: inbox, flags: .seen, internalDate: date)
            #expect(uid == 1)
            #expect(try await store.readMessage(uid: uid, in: inbox) == bytes)
            let records = try await store.messages(in: inbox)
            #expect(records.map(\.uid) == [1])
            #expect(records.first?.size == bytes.count)
            #expect(records.first?.flags == .seen)
            #expect(records.first?.internalDate == date)
            let expectedChunks = (bytes.count + PostgresStoreDefaults.chunkBytes - 1) / PostgresStoreDefaults.chunkBytes
            #expect(try await store.counts().chunks == expectedChunks)
            #expect(expectedChunks > 10)
        }
    }

    @Test func anEmptyMessageAndAMissingUID() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let uid = try await store.append([], to: inbox)
            #expect(try await store.readMessage(uid: uid, in: inbox) == [])
            await #expect(throws: MailStoreError.messageNotFound(uid: 99)) {
                try await store.readMessage(uid: 99, in: inbox)
            }
        }
    }

    @Test func oneDeliveryToSeveralMailboxesStoresTheBytesOnce() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            try await store.createUser("bo@example.com")
            let other = try await store.mailbox(user: "BO@example.com", name: .inbox)
            let archive = try await store.mailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Archive"]))
            let bytes = PostgresStoreFixture.message(seed: 1, bodyBytes: 600_000)
            let uids = try await store.deliver(bytes, to: [inbox, other, archive, inbox])
            #expect(uids == [1, 1, 1, 1])
            let counts = try await store.counts()
            #expect(counts.messages == 3)
            #expect(counts.bodies == 1)
            #expect(counts.chunks == 3)
            #expect(try await store.readMessage(uid: 1, in: other) == bytes)
        }
    }

    /// A delivery into a mailbox that is gone writes nothing, whether it is one statement (one chunk, one
    /// mailbox) or a transaction (several chunks, several mailboxes): no body is left behind.
    @Test func aDeliveryToAMailboxThatIsGoneWritesNothing() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let archive = try await store.mailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Archive"]))
            try await store.deleteMailbox(user: PostgresStoreFixture.user, name: archive.name)
            for bytes in [
                PostgresStoreFixture.message(seed: 1), PostgresStoreFixture.message(seed: 2, bodyBytes: 600_000),
            ] {
                await #expect(throws: MailStoreError.mailboxNotFound("Archive")) {
                    _ = try await store.deliver(bytes, to: [archive])
                }
                await #expect(throws: MailStoreError.mailboxNotFound("Archive")) {
                    _ = try await store.deliver(bytes, to: [inbox, archive])
                }
            }
            let counts = try await store.counts()
            #expect(counts.messages == 0 && counts.bodies == 0 && counts.chunks == 0)
            #expect(try await store.append(PostgresStoreFixture.message(seed: 3), to: inbox) == 1)
        }
    }

    /// The INBOX a RCPT check found is kept for the delivery; when its user was removed and made again
    /// meanwhile (on another node: a new INBOX row), the delivery finds the new one and stores once.
    @Test func anInboxKeptFromTheRecipientCheckThatIsGoneIsLookedUpAgain() async throws {
        try await PostgresServer.with { server throws in
            let url = try PostgresStoreURL(server.url)
            try await PostgresMailStore.withStore(url: url) { first throws in
                try await first.migrate()
                try await first.createUser("bo@example.com")
                #expect(try await first.acceptsMail(for: "BO@example.com"))
                #expect(try await !first.acceptsMail(for: "cy@example.com"))
                try await PostgresMailStore.withStore(url: url) { second throws in
                    try await second.removeUser("bo@example.com")
                    try await second.createUser("bo@example.com")
                }
                let bytes = PostgresStoreFixture.message(seed: 4)
                let results = try await first.deliverToInboxes(bytes, users: ["Bo@example.com", "cy@example.com"])
                #expect(results.map(\.failure) == [nil, .userNotFound("cy@example.com")])
                let inbox = try await first.mailbox(user: "bo@example.com", name: .inbox)
                #expect(try await first.readMessage(uid: 1, in: inbox) == bytes)
                let counts = try await first.counts()
                #expect(counts.messages == 1 && counts.bodies == 1)
            }
        }
    }

    @Test func eightTasksAppendingAtOnceGetUniqueIncreasingUIDs() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let perTask = 6
            let results = try await withThrowingTaskGroup(of: [UInt32].self) { group in
                for task in 0..<8 {
                    group.addTask {
                        try await PostgresStoreFixture.append(perTask, firstSeed: task * 100, to: inbox, in: store)
                    }
                }
                return try await group.reduce(into: [[UInt32]]()) { $0.append($1) }
            }
            let all = PostgresStoreFixture.expectUniqueIncreasing(results, total: 8 * perTask)
            #expect(try await store.messages(in: inbox).map(\.uid) == all)
            let state = try await store.state(of: inbox)
            #expect(state.uidNext == UInt32(8 * perTask + 1))
            #expect(state.messages == 8 * perTask)
            // Every append took its own mod-sequence, after the mailbox's first (1).
            #expect(state.highestModSeq == UInt64(8 * perTask + 1))
        }
    }

    @Test func usersAndMailboxes() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            await #expect(throws: MailStoreError.userExists("ana@example.com")) {
                try await store.createUser("ANA@example.com")
            }
            #expect(try await store.userExists("Ana@Example.com"))
            #expect(!(try await store.userExists("nobody@example.com")))
            let names = try await store.mailboxNames(user: PostgresStoreFixture.user).map(\.description)
            #expect(Set(names) == ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"])
            let lists = try await store.makeMailbox(
                user: PostgresStoreFixture.user,
                name: try MailboxName(["Lists", "dev"])
            )
            #expect(lists.uidValidity > inbox.uidValidity)
            let kept = try await store.makeMailbox(
                user: PostgresStoreFixture.user,
                name: try MailboxName(["Old"]),
                uidValidity: 42
            )
            #expect(kept.uidValidity == 42)
            await #expect(throws: MailStoreError.mailboxExists("Old")) {
                try await store.makeMailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Old"]))
            }
            await #expect(throws: MailStoreError.userNotFound("nobody@example.com")) {
                try await store.makeMailbox(user: "nobody@example.com", name: .inbox)
            }
            await #expect(throws: MailStoreError.mailboxNotFound("Nope")) {
                try await store.mailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Nope"]))
            }
        }
    }
}

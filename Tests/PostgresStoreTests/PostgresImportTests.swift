import Foundation
import MailStore
import MailTestSupport
import PostgresStore
import Testing

/// `importUser`, the step under `correo migrate`: all of a user or nothing, never over an existing one.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct PostgresImportTests {
    struct Interrupted: Error {}

    @Test func aFailedImportLeavesNothingAndAnExistingUserIsNotTouched() async throws {
        try await PostgresStoreFixture.with { store, _ throws in
            let before = try await store.counts()
            await #expect(throws: Interrupted.self) {
                _ = try await store.importUser("cy@example.com", passwordHash: "plain") { importer in
                    let inbox = try await importer.addMailbox(Self.inbox(uidNext: 5, highestModSeq: 9))
                    let body = try await importer.addBody(PostgresStoreFixture.message(seed: 1))
                    try await importer.addMessage(
                        body: body,
                        uid: 3,
                        flags: [.seen],
                        keywords: [],
                        internalDate: Date(),
                        modSeq: 4,
                        to: inbox
                    )
                    throw Interrupted()
                }
            }
            #expect(!(try await store.userExists("cy@example.com")))
            #expect(try await store.counts() == before)
            // The fixture's user exists: nothing runs, nothing changes.
            let skipped = try await store.importUser(PostgresStoreFixture.user.uppercased(), passwordHash: "x") { _ in
                Issue.record("the body ran for an existing user")
                return 1
            }
            #expect(skipped == nil)
            #expect(try await store.counts() == before)
            #expect(!(try await store.verify(address: PostgresStoreFixture.user, password: "x")))
        }
    }

    @Test func countersAreRaisedPastTheImportedMessages() async throws {
        try await PostgresStoreFixture.with { store, _ throws in
            let imported = try await store.importUser("cy@example.com", passwordHash: "{PLAIN}cy pass") { importer in
                let inbox = try await importer.addMailbox(Self.inbox(uidNext: 5, highestModSeq: 9))
                let body = try await importer.addBody(PostgresStoreFixture.message(seed: 2))
                for (uid, modSeq) in [(UInt32(4), UInt64(3)), (7, 12)] {
                    try await importer.addMessage(
                        body: body,
                        uid: uid,
                        flags: [],
                        keywords: ["a", "a", "b"],
                        internalDate: Date(timeIntervalSince1970: 1_700_000_000),
                        modSeq: modSeq,
                        to: inbox
                    )
                }
                return inbox
            }
            let inbox = try #require(imported)
            #expect(inbox.uidValidity == 1_234_567)
            let state = try await store.state(of: inbox)
            #expect(state.uidNext == 8)
            #expect(state.highestModSeq == 12)
            #expect(try await store.messages(in: inbox).map(\.keywords) == [["a", "b"], ["a", "b"]])
            #expect(try await store.counts().bodies == 1)
            #expect(try await store.verify(address: "cy@example.com", password: "cy pass"))
            #expect(try await store.append(PostgresStoreFixture.message(seed: 3), to: inbox) == 8)
            #expect(try await store.subscriptions(user: "cy@example.com").isEmpty)
        }
    }

    static func inbox(uidNext: UInt32, highestModSeq: UInt64) -> ImportedMailbox {
        ImportedMailbox(
            name: .inbox,
            uidValidity: 1_234_567,
            uidNext: uidNext,
            highestModSeq: highestModSeq,
            specialUse: nil,
            subscribed: false
        )
    }
}

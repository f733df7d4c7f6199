import MailStore
import MailTestSupport
import PostgresStore
import Testing

/// DELETE, RENAME and subscriptions against the PostgreSQL store (RFC 3501 6.3.4–6.3.9).
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct PostgresFolderTests {
    let user = PostgresStoreFixture.user

    @Test func deleteRemovesMessagesAndUnsharedBodiesAndRefusesInbox() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let work = try await store.makeMailbox(user: user, name: try MailboxName(["Work"]))
            let shared = PostgresStoreFixture.message(seed: 1)
            _ = try await store.deliver(shared, to: [inbox, work])
            _ = try await store.append(PostgresStoreFixture.message(seed: 2), to: work)
            try await store.withMailboxChanges { changes throws in
                var heard = changes.makeAsyncIterator()
                try await store.deleteMailbox(user: user, name: work.name)
                #expect(try await heard.next() == work.id)
            }
            #expect(!(try await store.mailboxNames(user: user)).contains(work.name))
            let counts = try await store.counts()
            #expect(counts.messages == 1)
            #expect(counts.bodies == 1)
            #expect(try await store.readMessage(uid: 1, in: inbox) == shared)
            await #expect(throws: MailStoreError.cannotDeleteInbox) {
                try await store.deleteMailbox(user: user, name: .inbox)
            }
            await #expect(throws: MailStoreError.mailboxNotFound("Work")) {
                try await store.deleteMailbox(user: user, name: work.name)
            }
            _ = try await store.makeMailbox(user: user, name: try MailboxName(["Lists"]))
            _ = try await store.makeMailbox(user: user, name: try MailboxName(["Lists", "dev"]))
            await #expect(throws: MailStoreError.mailboxHasChildren("Lists")) {
                try await store.deleteMailbox(user: user, name: try MailboxName(["Lists"]))
            }
            // "Lists2" is not a child of "Lists".
            _ = try await store.makeMailbox(user: user, name: try MailboxName(["Lists2"]))
            try await store.deleteMailbox(user: user, name: try MailboxName(["Lists", "dev"]))
            try await store.deleteMailbox(user: user, name: try MailboxName(["Lists"]))
        }
    }

    @Test func renameKeepsUIDValidityMovesChildrenAndANewMailboxUnderTheOldNameIsNew() async throws {
        try await PostgresStoreFixture.with { store, _ throws in
            let lists = try await store.makeMailbox(user: user, name: try MailboxName(["Lists"]))
            let dev = try await store.makeMailbox(user: user, name: try MailboxName(["Lists", "dev"]))
            let uid = try await store.append(PostgresStoreFixture.message(seed: 1), to: dev)
            try await store.renameMailbox(user: user, from: lists.name, to: try MailboxName(["Groups"]))
            let names = try await store.mailboxNames(user: user).map(\.description)
            #expect(names.contains("Groups") && names.contains("Groups/dev"))
            #expect(!names.contains("Lists") && !names.contains("Lists/dev"))
            let renamed = try await store.mailbox(user: user, name: try MailboxName(["Groups", "dev"]))
            #expect(renamed.id == dev.id)
            #expect(renamed.uidValidity == dev.uidValidity)
            #expect(try await store.messages(in: renamed).map(\.uid) == [uid])
            let again = try await store.makeMailbox(user: user, name: try MailboxName(["Lists", "dev"]))
            #expect(again.uidValidity != dev.uidValidity)
            await #expect(throws: MailStoreError.mailboxExists("Archive")) {
                try await store.renameMailbox(
                    user: user,
                    from: try MailboxName(["Groups"]),
                    to: try MailboxName(["Archive"])
                )
            }
            await #expect(throws: MailStoreError.mailboxNotFound("Nope")) {
                try await store.renameMailbox(user: user, from: try MailboxName(["Nope"]), to: try MailboxName(["Yes"]))
            }
            await #expect(
                throws: MailStoreError.invalidMailboxName("Groups/inner", reason: "it lies inside the mailbox renamed")
            ) {
                try await store.renameMailbox(
                    user: user,
                    from: try MailboxName(["Groups"]),
                    to: try MailboxName(["Groups", "inner"])
                )
            }
            await #expect(throws: MailStoreError.mailboxExists("INBOX")) {
                try await store.renameMailbox(user: user, from: try MailboxName(["Groups"]), to: .inbox)
            }
        }
    }

    @Test func renamingInboxMovesItsMessagesAndLeavesItEmpty() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            for seed in 1...3 {
                _ = try await store.append(PostgresStoreFixture.message(seed: seed), to: inbox, flags: .seen)
            }
            let before = try await store.state(of: inbox)
            try await store.renameMailbox(user: user, from: .inbox, to: try MailboxName(["Old mail"]))
            let old = try await store.mailbox(user: user, name: try MailboxName(["Old mail"]))
            #expect(old.uidValidity != inbox.uidValidity)
            let moved = try await store.messages(in: old)
            #expect(moved.map(\.uid) == [1, 2, 3])
            #expect(moved.allSatisfy { $0.flags == .seen })
            #expect(try await store.readMessage(uid: 2, in: old) == PostgresStoreFixture.message(seed: 2))
            let after = try await store.state(of: inbox)
            #expect(after.messages == 0)
            #expect(after.uidValidity == before.uidValidity)
            #expect(after.uidNext == before.uidNext)
            #expect(after.highestModSeq == before.highestModSeq + 1)
            #expect(try await store.vanished(in: inbox, since: before.highestModSeq) == [1, 2, 3])
            #expect(try await store.state(of: old).uidNext == 4)
            // INBOX goes on with its own UIDs.
            #expect(try await store.append(PostgresStoreFixture.message(seed: 4), to: inbox) == 4)
            #expect(try await store.counts().bodies == 4)
        }
    }

    @Test func subscriptionsAreNamesKeptByDeleteAndMovedByRename() async throws {
        try await PostgresStoreFixture.with { store, _ throws in
            let everything = Set(try await store.mailboxNames(user: user))
            #expect(Set(try await store.subscriptions(user: user)) == everything)
            let junk = try MailboxName(["Junk"])
            try await store.unsubscribe(user: user, name: junk)
            #expect(Set(try await store.subscriptions(user: user)) == everything.subtracting([junk]))
            try await store.renameMailbox(user: user, from: try MailboxName(["Sent"]), to: try MailboxName(["Outbox"]))
            #expect(try await store.subscriptions(user: user).contains(try MailboxName(["Outbox"])))
            #expect(try await !store.subscriptions(user: user).contains(try MailboxName(["Sent"])))
            try await store.subscribe(user: user, name: junk)
            #expect(try await store.subscriptions(user: user).contains(junk))
            // RFC 3501 6.3.6: a name without a mailbox may be subscribed, and DELETE keeps the name.
            try await store.subscribe(user: user, name: try MailboxName(["Nope"]))
            #expect(try await store.subscriptions(user: user).contains(try MailboxName(["Nope"])))
            try await store.deleteMailbox(user: user, name: junk)
            #expect(try await store.subscriptions(user: user).contains(junk))
            await #expect(throws: MailStoreError.userNotFound("cy@example.com")) {
                try await store.subscribe(user: "cy@example.com", name: junk)
            }
        }
    }
}

import Foundation
import MailStore
import MailTestSupport
import PostgresStore
import Testing

/// COPY and MOVE against the PostgreSQL store: COPYUID pairs, the body shared, MOVE's expunge, and UIDs
/// under concurrent MOVE and APPEND.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct PostgresCopyMoveTests {
    @Test func copyKeepsFlagsKeywordsAndDateAndSharesTheBody() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let archive = try await store.mailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Archive"]))
            _ = try await store.append(PostgresStoreFixture.message(seed: 0), to: archive)
            let date = Date(timeIntervalSince1970: 1_600_000_000)
            let bytes = PostgresStoreFixture.message(seed: 1, bodyBytes: 300_000)
            _ = try await store.append(
                bytes,
                to: inbox,
                flags: [.seen, .flagged],
                keywords: ["$Work"],
                internalDate: date
            )
            _ = try await store.append(PostgresStoreFixture.message(seed: 2), to: inbox)
            _ = try await store.append(PostgresStoreFixture.message(seed: 3), to: inbox)
            let before = try await store.state(of: archive).highestModSeq
            let copied = try await store.copy(uids: [3, 1, 42], from: inbox, to: archive)
            #expect(copied == [CopiedMessage(source: 1, destination: 2), CopiedMessage(source: 3, destination: 3)])
            let records = try await store.messages(in: archive)
            #expect(records.map(\.uid) == [1, 2, 3])
            #expect(records[1].flags == [.seen, .flagged])
            #expect(records[1].keywords == ["$Work"])
            #expect(records[1].internalDate == date)
            #expect(records[1].modSeq == before + 1)
            #expect(records[2].modSeq == before + 1)
            let state = try await store.state(of: archive)
            #expect(state.highestModSeq == before + 1)
            #expect(state.uidNext == 4)
            #expect(try await store.readMessage(uid: 2, in: archive) == bytes)
            // No byte copied: four bodies for six messages.
            let counts = try await store.counts()
            #expect(counts.messages == 6)
            #expect(counts.bodies == 4)
            // The source is untouched; COPY of UIDs that do not exist copies nothing.
            #expect(try await store.messages(in: inbox).map(\.uid) == [1, 2, 3])
            #expect(try await store.copy(uids: [99], from: inbox, to: archive) == [])
            #expect(try await store.state(of: archive).highestModSeq == before + 1)
            // Into the same mailbox: new UIDs after the last.
            #expect(
                try await store.copy(uids: [2], from: inbox, to: inbox) == [CopiedMessage(source: 2, destination: 4)]
            )
        }
    }

    @Test func moveExpungesFromTheSourceInTheSameTransaction() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let trash = try await store.mailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Trash"]))
            for seed in 1...4 { _ = try await store.append(PostgresStoreFixture.message(seed: seed), to: inbox) }
            let inboxBefore = try await store.state(of: inbox).highestModSeq
            try await store.withMailboxChanges { changes throws in
                var heard = changes.makeAsyncIterator()
                let moved = try await store.move(uids: [2, 4], from: inbox, to: trash)
                #expect(moved == [CopiedMessage(source: 2, destination: 1), CopiedMessage(source: 4, destination: 2)])
                // One transaction, two mailboxes changed: both heard, in either order.
                let first = try await heard.next()
                let second = try await heard.next()
                #expect(Set([first, second]) == [inbox.id, trash.id])
            }
            #expect(try await store.messages(in: inbox).map(\.uid) == [1, 3])
            #expect(try await store.messages(in: trash).map(\.uid) == [1, 2])
            #expect(try await store.state(of: inbox).highestModSeq == inboxBefore + 1)
            #expect(try await store.vanished(in: inbox, since: inboxBefore) == [2, 4])
            let counts = try await store.counts()
            #expect(counts.messages == 4)
            #expect(counts.bodies == 4)
            // MOVE of nothing changes nothing.
            #expect(try await store.move(uids: [2], from: inbox, to: trash) == [])
            #expect(try await store.state(of: inbox).highestModSeq == inboxBefore + 1)
            // Within one mailbox: a new UID for the copy, the original expunged.
            #expect(
                try await store.move(uids: [1], from: inbox, to: inbox) == [CopiedMessage(source: 1, destination: 5)]
            )
            #expect(try await store.messages(in: inbox).map(\.uid) == [3, 5])
            #expect(try await store.vanished(in: inbox, since: inboxBefore + 1) == [1])
            #expect(try await store.counts().bodies == 4)
        }
    }

    @Test func aMailboxThatIsGoneIsReported() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let old = try await store.makeMailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Old"]))
            _ = try await store.append(PostgresStoreFixture.message(seed: 1), to: inbox)
            try await store.deleteMailbox(user: PostgresStoreFixture.user, name: old.name)
            await #expect(throws: MailStoreError.mailboxNotFound("Old")) {
                try await store.copy(uids: [1], from: inbox, to: old)
            }
            #expect(try await store.counts().messages == 1)
        }
    }

    @Test func concurrentMovesAndAppendsKeepUIDsUniqueAndIncreasing() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let archive = try await store.mailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Archive"]))
            let perTask = 5
            for seed in 0..<(4 * perTask) {
                _ = try await store.append(PostgresStoreFixture.message(seed: seed), to: archive)
            }
            // Four tasks move from Archive into INBOX (locking both rows) while four append to INBOX.
            let results = try await withThrowingTaskGroup(of: [UInt32].self) { group in
                for task in 0..<4 {
                    group.addTask {
                        var uids: [UInt32] = []
                        for index in 0..<perTask {
                            let source = UInt32(task * perTask + index + 1)
                            let moved = try await store.move(uids: [source], from: archive, to: inbox)
                            uids += moved.map(\.destination)
                        }
                        return uids
                    }
                    group.addTask {
                        try await PostgresStoreFixture.append(
                            perTask,
                            firstSeed: 1000 + task * 100,
                            to: inbox,
                            in: store
                        )
                    }
                }
                return try await group.reduce(into: [[UInt32]]()) { $0.append($1) }
            }
            let all = PostgresStoreFixture.expectUniqueIncreasing(results, total: 8 * perTask)
            #expect(try await store.messages(in: inbox).map(\.uid) == all)
            #expect(try await store.messages(in: archive).isEmpty)
            #expect(try await store.state(of: inbox).uidNext == UInt32(8 * perTask + 1))
            #expect(try await store.vanished(in: archive, since: 0)?.count == 4 * perTask)
        }
    }

    @Test func movesBothWaysAtOnceNeverDeadlock() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let archive = try await store.mailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Archive"]))
            for seed in 0..<6 {
                _ = try await store.append(PostgresStoreFixture.message(seed: seed), to: seed < 3 ? inbox : archive)
            }
            // Each MOVE locks both rows; taken in id order, opposite moves queue instead of deadlocking.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for round in 0..<6 {
                    group.addTask {
                        let (from, to) = round.isMultiple(of: 2) ? (inbox, archive) : (archive, inbox)
                        let present = try await store.messages(in: from).map(\.uid)
                        _ = try await store.move(uids: present, from: from, to: to)
                    }
                }
                try await group.waitForAll()
            }
            let total = try await store.messages(in: inbox).count + store.messages(in: archive).count
            #expect(total == 6)
            #expect(try await store.counts().bodies == 6)
        }
    }
}

import MailStore
import MailTestSupport
import Testing

@testable import PostgresStore

/// EXPUNGE and UID EXPUNGE against the PostgreSQL store: one mod-sequence per command, VANISHED, bodies freed.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct PostgresExpungeTests {
    @Test func expungeRemovesTheDeletedUnderOneModSeqAndRecordsThem() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            for seed in 1...5 { _ = try await store.append(PostgresStoreFixture.message(seed: seed), to: inbox) }
            try await store.setFlags(uids: [2, 4, 5], in: inbox, flags: .deleted, operation: .add)
            let before = try await store.state(of: inbox).highestModSeq
            // UID EXPUNGE (RFC 4315): only among the UIDs given, even if others are \Deleted.
            #expect(try await store.expunge(in: inbox, uids: [1, 4, 5, 99]) == [4, 5])
            #expect(try await store.state(of: inbox).highestModSeq == before + 1)
            #expect(try await store.vanished(in: inbox, since: before) == [4, 5])
            // EXPUNGE: every \Deleted one left; a new mod-sequence of its own.
            #expect(try await store.expunge(in: inbox) == [2])
            let state = try await store.state(of: inbox)
            #expect(state.highestModSeq == before + 2)
            #expect(state.messages == 2)
            #expect(try await store.vanished(in: inbox, since: before + 1) == [2])
            #expect(try await store.vanished(in: inbox, since: before) == [2, 4, 5])
            #expect(try await store.vanished(in: inbox, since: before + 2) == [])
            #expect(try await store.messages(in: inbox).map(\.uid) == [1, 3])
            // UID EXPUNGE of an empty set removes nothing.
            try await store.setFlags(uids: [1], in: inbox, flags: .deleted, operation: .add)
            #expect(try await store.expunge(in: inbox, uids: []) == [])
            try await store.setFlags(uids: [1], in: inbox, flags: .deleted, operation: .remove)
            // Nothing \Deleted: nothing removed, HIGHESTMODSEQ stays.
            let unchanged = try await store.state(of: inbox).highestModSeq
            #expect(try await store.expunge(in: inbox) == [])
            #expect(try await store.state(of: inbox).highestModSeq == unchanged)
            // UIDs are never reused after an expunge.
            #expect(try await store.append(PostgresStoreFixture.message(seed: 9), to: inbox) == 6)
            await #expect(throws: MailStoreError.messageNotFound(uid: 4)) {
                try await store.readMessage(uid: 4, in: inbox)
            }
        }
    }

    /// The expunged UIDs are bounded: pruned to the newest, and asked about what was pruned the store
    /// says it does not know rather than answer too little.
    @Test func prunedExpungesAreUnknownNotMissing() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let start = try await store.state(of: inbox).highestModSeq
            for seed in 1...6 { _ = try await store.append(PostgresStoreFixture.message(seed: seed), to: inbox) }
            var marks: [UInt64] = []
            for uid in UInt32(1)...6 {
                marks.append(try await store.state(of: inbox).highestModSeq)
                _ = try await store.setFlags(uids: [uid], in: inbox, flags: .deleted, operation: .add)
                #expect(try await store.expunge(in: inbox, uids: [uid]) == [uid])
            }
            #expect(try await store.vanished(in: inbox, since: start) == [1, 2, 3, 4, 5, 6])
            try await store.transaction { connection in
                try await store.pruneExpunged(of: inbox, keeping: 2, on: connection)
            }
            // UIDs 5 and 6 are remembered; 1 to 4 were forgotten.
            #expect(try await store.vanished(in: inbox, since: marks[4]) == [5, 6])
            #expect(try await store.vanished(in: inbox, since: marks[3]) == nil)
            #expect(try await store.vanished(in: inbox, since: start) == nil)
            let counted = try await store.client.query(
                "SELECT count(*) FROM expunged_messages WHERE mailbox_id = \(inbox.id)",
                logger: store.logger
            )
            for try await count in counted.decode(Int.self) { #expect(count == 2) }
            // Pruning again with room to spare forgets nothing more.
            try await store.transaction { connection in
                try await store.pruneExpunged(of: inbox, keeping: 10, on: connection)
            }
            #expect(try await store.vanished(in: inbox, since: marks[4]) == [5, 6])
        }
    }

    @Test func expungingTheLastCopyFreesTheBodyAndAnotherCopyKeepsIt() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let archive = try await store.mailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Archive"]))
            let shared = PostgresStoreFixture.message(seed: 1, bodyBytes: 600_000)
            _ = try await store.deliver(shared, to: [inbox, archive])
            _ = try await store.append(PostgresStoreFixture.message(seed: 2), to: inbox)
            try await store.setFlags(uids: [1, 2], in: inbox, flags: .deleted, operation: .add)
            #expect(try await store.expunge(in: inbox) == [1, 2])
            var counts = try await store.counts()
            // The shared body stays for Archive's copy; the other went with its chunk.
            #expect(counts.bodies == 1)
            #expect(counts.chunks == 3)
            #expect(try await store.readMessage(uid: 1, in: archive) == shared)
            try await store.setFlags(uids: [1], in: archive, flags: .deleted, operation: .add)
            #expect(try await store.expunge(in: archive) == [1])
            counts = try await store.counts()
            #expect(counts.bodies == 0)
            #expect(counts.chunks == 0)
            #expect(counts.messages == 0)
        }
    }

    @Test func anExpungeIsHeardAndOneThatRemovesNothingIsNot() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let sent = try await store.mailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Sent"]))
            let uid = try await store.append(PostgresStoreFixture.message(seed: 1), to: inbox)
            try await store.setFlags(uids: [uid], in: inbox, flags: .deleted, operation: .add)
            try await store.withMailboxChanges { changes throws in
                var heard = changes.makeAsyncIterator()
                #expect(try await store.expunge(in: inbox) == [uid])
                #expect(try await heard.next() == inbox.id)
                #expect(try await store.expunge(in: inbox) == [])
                _ = try await store.append(PostgresStoreFixture.message(seed: 2), to: sent)
                #expect(try await heard.next() == sent.id)
            }
        }
    }

    @Test func twoMailboxesExpungingTheirCopiesAtOnceLeaveNoBodyBehind() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let archive = try await store.mailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Archive"]))
            for round in 0..<8 {
                let uids = try await store.deliver(PostgresStoreFixture.message(seed: round), to: [inbox, archive])
                try await store.setFlags(uids: [uids[0]], in: inbox, flags: .deleted, operation: .add)
                try await store.setFlags(uids: [uids[1]], in: archive, flags: .deleted, operation: .add)
                async let fromInbox = store.expunge(in: inbox)
                async let fromArchive = store.expunge(in: archive)
                #expect(try await fromInbox == [uids[0]])
                #expect(try await fromArchive == [uids[1]])
                #expect(try await store.counts().bodies == 0)
            }
        }
    }
}

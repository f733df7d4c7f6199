import MailStore
import MailTestSupport
import PostgresStore
import Testing

/// STORE against the PostgreSQL store: flags, keywords and RFC 7162 mod-sequences.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct PostgresFlagTests {
    @Test func flagChangesTakeTheNextModSeqAndNoChangeTakesNone() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            for seed in 1...3 { _ = try await store.append(PostgresStoreFixture.message(seed: seed), to: inbox) }
            let before = try await store.state(of: inbox).highestModSeq
            let changed = try await store.setFlags(uids: [1, 2, 99], in: inbox, flags: .seen, operation: .add)
            #expect(changed.map(\.uid) == [1, 2])
            #expect(changed.allSatisfy { $0.flags == .seen && $0.modSeq == before + 1 })
            #expect(try await store.state(of: inbox).highestModSeq == before + 1)
            // The same STORE again changes nothing: HIGHESTMODSEQ stays.
            _ = try await store.setFlags(uids: [1, 2], in: inbox, flags: .seen, operation: .add)
            #expect(try await store.state(of: inbox).highestModSeq == before + 1)
            // 1 gains \Flagged and 3 both flags: the two move together; 2, not named, keeps its own.
            let again = try await store.setFlags(uids: [1, 3], in: inbox, flags: [.seen, .flagged], operation: .add)
            #expect(again.map(\.modSeq) == [before + 2, before + 2])
            let untouched = try await store.messages(in: inbox).first { $0.uid == 2 }
            #expect(untouched?.modSeq == before + 1)
            // CHANGEDSINCE: only what changed after a mod-sequence.
            #expect(try await store.messages(in: inbox, changedSince: before + 1).map(\.uid) == [1, 3])
            let removed = try await store.setFlags(uids: [1], in: inbox, flags: .seen, operation: .remove)
            #expect(removed.first?.flags == .flagged)
            let replaced = try await store.setFlags(uids: [1, 2, 3], in: inbox, flags: .answered, operation: .replace)
            #expect(replaced.map(\.flags) == [.answered, .answered, .answered])
            #expect(try await store.state(of: inbox).highestModSeq == before + 4)
        }
    }

    @Test func keywordsAreAddedRemovedAndReplacedInOrder() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let uid = try await store.append(PostgresStoreFixture.message(seed: 1), to: inbox, keywords: ["$Forwarded"])
            var record = try await store.setFlags(
                uids: [uid],
                in: inbox,
                flags: [],
                keywords: ["work", "$Label1", "work", "$Forwarded"],
                operation: .add
            )
            #expect(record.first?.keywords == ["$Forwarded", "work", "$Label1"])
            record = try await store.setFlags(uids: [uid], in: inbox, flags: [], keywords: ["work"], operation: .remove)
            #expect(record.first?.keywords == ["$Forwarded", "$Label1"])
            record = try await store.setFlags(
                uids: [uid],
                in: inbox,
                flags: .draft,
                keywords: ["x"],
                operation: .replace
            )
            #expect(record.first?.keywords == ["x"])
            #expect(record.first?.flags == .draft)
        }
    }
}

import Foundation
import MailStore
import MailTestSupport
import Testing

@testable import PostgresStore

/// The node's cache of header sections and derived values: what it read once is not read again (a
/// changed row in the database is not seen: nothing under a UID ever changes in correo's own use), a
/// message expunged meanwhile is answered as gone, and the cache keeps to its bound.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct MessageValueCacheTests {
    @Test func aSecondReadIsTheCachesAndAnExpungedMessageIsGone() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            for seed in 1...3 { _ = try await store.append(PostgresStoreFixture.message(seed: seed), to: inbox) }
            let first = try await store.headerSections(uids: [1, 2, 3, 9], in: inbox)
            #expect(first.map { $0 != nil } == [true, true, true, false])
            try await store.storeDerivedValues([(1, [1]), (2, [2]), (3, [3])], kind: "test-1", in: inbox)
            #expect(try await store.derivedValues(uids: [1, 2, 3], kind: "test-1", in: inbox) == [[1], [2], [3]])

            // Rewritten behind the store's back: the cache still answers with what it read.
            try await store.client.query("UPDATE message_chunks SET data = 'changed'::bytea", logger: store.logger)
            try await store.client.query("UPDATE derived_values SET value = '\\x09'::bytea", logger: store.logger)
            #expect(try await store.headerSections(uids: [1, 2, 3], in: inbox) == Array(first.prefix(3)))
            #expect(try await store.derivedValues(uids: [3, 1], kind: "test-1", in: inbox) == [[3], [1]])

            // Expunged on another node: gone at once, whatever the cache holds.
            try await PostgresMailStore.withStore(url: store.url) { other throws in
                _ = try await other.setFlags(uids: [2], in: inbox, flags: .deleted, operation: .add)
                _ = try await other.expunge(in: inbox, uids: [2])
            }
            let after = try await store.headerSections(uids: [1, 2, 3], in: inbox)
            #expect(after[0] == first[0] && after[1] == nil && after[2] == first[2])
            #expect(try await store.derivedValues(uids: [1, 2, 3], kind: "test-1", in: inbox) == [[1], nil, [3]])
            // A kind never stored is nil, not something cached under another kind.
            #expect(try await store.derivedValues(uids: [1], kind: "test-2", in: inbox) == [nil])
        }
    }

    /// A body keeps `derivedKindsPerMessage` kinds in the database; one more is not kept (another
    /// node does not find it), while a kind it has is still replaced.
    @Test func aBodyKeepsAtMostItsKindsOfDerivedValue() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            _ = try await store.append(PostgresStoreFixture.message(seed: 1), to: inbox)
            let most = MailStorageLimits.derivedKindsPerMessage
            for k in 0..<most { try await store.storeDerivedValues([(1, [UInt8(k)])], kind: "k\(k)", in: inbox) }
            try await store.storeDerivedValues([(1, [99])], kind: "one-more", in: inbox)
            try await store.storeDerivedValues([(1, [77])], kind: "k0", in: inbox)
            try await PostgresMailStore.withStore(url: store.url) { other throws in
                #expect(try await other.derivedValues(uids: [1], kind: "one-more", in: inbox) == [nil])
                #expect(try await other.derivedValues(uids: [1], kind: "k0", in: inbox) == [[77]])
                #expect(
                    try await other.derivedValues(uids: [1], kind: "k\(most - 1)", in: inbox) == [[UInt8(most - 1)]]
                )
            }
        }
    }

    @Test func theCacheKeepsToItsBoundOldestFirst() {
        let cache = MessageValueCache(capacity: 64 * 1024)
        let value = [UInt8](repeating: 7, count: 1000)
        cache.store(mailbox: 1, kind: "k", (1...200).map { (UInt32($0), value) })
        #expect(cache.bytes <= 64 * 1024)
        let kept = cache.values(mailbox: 1, uids: Array(1...200), kind: "k")
        #expect(kept.first! == nil, "the oldest went")
        #expect(kept.last! == value, "the newest stayed")
        #expect(cache.values(mailbox: 2, uids: [200], kind: "k") == [nil], "another mailbox's UID is another key")
        // A value too big for a sixteenth of the bound is not kept at all.
        cache.store(mailbox: 1, kind: "k", [(500, [UInt8](repeating: 1, count: 8 * 1024))])
        #expect(cache.values(mailbox: 1, uids: [500], kind: "k") == [nil])
    }
}

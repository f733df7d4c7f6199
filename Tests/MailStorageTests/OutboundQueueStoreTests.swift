import Foundation
import MailStorage
import MailStore
import MailTestSupport
import Testing

@testable import PostgresStore

/// `OutboundQueueStore` as every backend must answer it, and the claims only the PostgreSQL queue
/// can refuse (several nodes work one queue).
@Suite(.offThePool, .timeLimit(.minutes(5))) struct OutboundQueueStoreTests {
    /// Whole seconds: the envelope's dates are ISO 8601, to the second, in both backends.
    static let date = Date(timeIntervalSince1970: 1_700_000_000)

    /// An envelope with every field set, arrived `offset` seconds after `date`.
    static func envelope(offset: Int = 0, recipients: Int = 2) -> QueueEnvelope {
        let arrival = date.addingTimeInterval(Double(offset))
        var envelope = QueueEnvelope(
            id: OutboundQueue.newID(now: arrival),
            sender: "ana@example.com",
            recipients: (1...recipients).map {
                QueuedRecipient(address: "r\($0)@example.net", originalRecipient: "rfc822;r\($0)@example.net")
            },
            envelopeID: "env-\(offset)",
            returnContent: .headers,
            eightBitMIME: true,
            arrival: arrival,
            submitter: "ana@example.com",
            clientAddress: "192.0.2.1",
            size: 1
        )
        envelope.localFolder = .junk
        return envelope
    }

    /// A message of `lines` numbered lines: 40_000 make about three PostgreSQL chunks.
    static func message(lines: Int) -> [UInt8] {
        var bytes = Array("From: ana@example.com\r\nSubject: queued\r\n\r\n".utf8)
        for number in 0..<lines { bytes += Array("line \(number) of the queued message\r\n".utf8) }
        return bytes
    }

    @Test(arguments: StorageBackend.allCases)
    func enqueuedMessagesReadBackExactlyOldestFirst(_ backend: StorageBackend) async throws {
        try await backend.withQueue { queue in
            let big = Self.message(lines: 40_000)
            #expect(big.count > 2 * PostgresStoreDefaults.chunkBytes, "several chunks")
            let given = Self.envelope(offset: 60)
            let newer = try await queue.enqueue(bytes: big, envelope: given)
            let older = try await queue.enqueue(bytes: Self.message(lines: 1), envelope: Self.envelope())
            let empty = try await queue.enqueue(bytes: [], envelope: Self.envelope(offset: 120, recipients: 1))
            #expect(newer.size == big.count && older.size == Self.message(lines: 1).count && empty.size == 0)
            var expected = given
            expected.size = big.count
            #expect(newer == expected, "the envelope as given, its size filled in")

            #expect(try await queue.envelopes() == [older, newer, empty])
            #expect(try await queue.envelope(newer.id) == newer)
            #expect(try await queue.message(newer.id) == big)
            #expect(try await queue.message(older.id) == Self.message(lines: 1))
            #expect(try await queue.message(empty.id) == [])
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func anUnknownMessageIsNilNotFoundAndNotUpdated(_ backend: StorageBackend) async throws {
        try await backend.withQueue { queue in
            // Another message first: the Maildir queue's folder (and lock file) exist from the first enqueue.
            let other = try await queue.enqueue(bytes: Self.message(lines: 1), envelope: Self.envelope())
            #expect(try await queue.envelope("nosuch") == nil)
            let updated = try await queue.update("nosuch", removeWhenFinished: false) { $0.attempts += 1 }
            #expect(updated == nil)
            let error = await #expect(throws: MailStoreError.self) { try await queue.message("nosuch") }
            guard case .io(_, _, let code) = error else {
                Issue.record("not an I/O error: \(String(describing: error))")
                return
            }
            #expect(code == ENOENT)
            try await queue.remove("nosuch")
            #expect(try await queue.envelopes() == [other])
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func updatePersistsAndReturnsWhatTheBodyReturned(_ backend: StorageBackend) async throws {
        try await backend.withQueue { queue in
            let queued = try await queue.enqueue(bytes: Self.message(lines: 3), envelope: Self.envelope())
            let later = Self.date.addingTimeInterval(600)
            let changed = try await queue.update(queued.id, removeWhenFinished: true) { envelope -> String in
                envelope.attempts += 1
                envelope.nextAttempt = later
                envelope.delayWarned = true
                envelope.recipients[0].status = .delivered
                envelope.recipients[0].lastReply = "250 2.0.0 ok"
                envelope.recipients[1].lastReply = "451 4.3.0 try later"
                return "attempt 1"
            }
            #expect(changed?.result == "attempt 1")
            let envelope = try #require(changed?.envelope)
            #expect(envelope.attempts == 1 && envelope.nextAttempt == later && envelope.delayWarned)
            #expect(envelope.recipients.map(\.status) == [.delivered, .pending])
            #expect(try await queue.envelope(queued.id) == envelope, "one recipient pending: still queued")
            #expect(try await queue.envelopes() == [envelope])
            #expect(try await queue.message(queued.id) == Self.message(lines: 3), "the bytes never change")
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func aFinishedMessageLeavesOnlyWhenAsked(_ backend: StorageBackend) async throws {
        try await backend.withQueue { queue in
            let queued = try await queue.enqueue(bytes: Self.message(lines: 3), envelope: Self.envelope())
            let kept = try await queue.update(queued.id, removeWhenFinished: false) { envelope in
                for index in envelope.recipients.indices { envelope.recipients[index].status = .failed }
            }
            #expect(kept?.isFinished == true)
            #expect(try await queue.envelope(queued.id) == kept)

            let removed = try await queue.update(queued.id, removeWhenFinished: true) { _ in }
            #expect(removed == kept, "the last envelope is returned")
            #expect(try await queue.envelope(queued.id) == nil)
            #expect(try await queue.envelopes().isEmpty)
            await #expect(throws: MailStoreError.self) { try await queue.message(queued.id) }
            #expect(try await queue.update(queued.id) { $0.attempts += 1 } == nil)
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func heldPersistsAndRemoveTakesOneMessage(_ backend: StorageBackend) async throws {
        try await backend.withQueue { queue in
            let first = try await queue.enqueue(bytes: Self.message(lines: 1), envelope: Self.envelope())
            let second = try await queue.enqueue(bytes: Self.message(lines: 2), envelope: Self.envelope(offset: 1))
            try await queue.update(second.id, removeWhenFinished: true) { $0.held = true }
            #expect(try await queue.envelope(second.id)?.held == true)
            #expect(try await queue.envelopes().map(\.held) == [false, true])

            try await queue.remove(first.id)
            #expect(try await queue.envelope(first.id) == nil)
            #expect(try await queue.envelopes().map(\.id) == [second.id])
            #expect(try await queue.message(second.id) == Self.message(lines: 2))
            try await queue.update(second.id, removeWhenFinished: true) { $0.held = false }
            #expect(try await queue.envelope(second.id)?.held == false)
            await queue.sweep()
            #expect(try await queue.envelopes().map(\.id) == [second.id], "a sweep leaves what is queued")
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func aFreshMessageIsClaimedAndReleased(_ backend: StorageBackend) async throws {
        try await backend.withQueue { queue in
            let queued = try await queue.enqueue(bytes: Self.message(lines: 1), envelope: Self.envelope())
            #expect(try await queue.claim(queued.id, worker: "node-a", until: Date().addingTimeInterval(600)))
            #expect(try await queue.claim(queued.id, worker: "node-a", until: Date().addingTimeInterval(600)))
            try await queue.release(queued.id, worker: "node-a")
            #expect(try await queue.claim(queued.id, worker: "node-b", until: Date().addingTimeInterval(600)))
        }
    }

    // MARK: - PostgreSQL: several workers

    @Test func aClaimIsRefusedToAnotherWorkerUntilItRunsOutOrIsReleased() async throws {
        try await StorageBackend.postgres.withQueue { queue in
            let id = try await queue.enqueue(bytes: Self.message(lines: 1), envelope: Self.envelope()).id
            let future = Date().addingTimeInterval(3600)
            let past = Date().addingTimeInterval(-3600)
            #expect(try await queue.claim(id, worker: "a", until: future))
            #expect(try await !queue.claim(id, worker: "b", until: future), "a's claim holds")
            #expect(try await queue.claim(id, worker: "a", until: past), "a renews its own claim")
            #expect(try await queue.claim(id, worker: "b", until: future), "a's claim ran out")
            #expect(try await !queue.claim(id, worker: "a", until: future), "b's claim holds")
            try await queue.release(id, worker: "a")
            #expect(try await !queue.claim(id, worker: "c", until: future), "a cannot release b's claim")
            try await queue.release(id, worker: "b")
            #expect(try await queue.claim(id, worker: "c", until: future), "b released it")
            #expect(try await !queue.claim("nosuch", worker: "a", until: future), "not queued")
        }
    }

    @Test func aRemovedOrFinishedEntryTakesItsBodyWithIt() async throws {
        try await StorageBackend.postgres.with { directory in
            let store = try #require(directory as? PostgresMailStore)
            let first = try await store.enqueue(bytes: Self.message(lines: 1), envelope: Self.envelope())
            let second = try await store.enqueue(bytes: Self.message(lines: 2), envelope: Self.envelope(offset: 1))
            #expect(try await Self.bodies(in: store) == 2)
            try await store.remove(first.id)
            #expect(try await Self.bodies(in: store) == 1)
            try await store.update(second.id, removeWhenFinished: true) { envelope in
                for index in envelope.recipients.indices { envelope.recipients[index].status = .delivered }
            }
            #expect(try await Self.bodies(in: store) == 0)
        }
    }

    @Test func twoNodesRacingForOneClaimGetOneWinner() async throws {
        try await Self.withTwoNodes { first, second in
            for round in 0..<10 {
                let envelope = Self.envelope(offset: round)
                let id = try await first.enqueue(bytes: Self.message(lines: 1), envelope: envelope).id
                let until = Date().addingTimeInterval(3600)
                async let one = first.claim(id, worker: "node-1", until: until)
                async let two = second.claim(id, worker: "node-2", until: until)
                let granted = try await [one, two]
                #expect(granted.filter { $0 }.count == 1, "round \(round): \(granted)")
                let loser = granted[0] ? second : first
                #expect(try await !loser.claim(id, worker: granted[0] ? "node-2" : "node-1", until: until))
            }
        }
    }

    @Test func aRowAnotherNodeHasLockedIsSkippedNotWaitedFor() async throws {
        try await Self.withTwoNodes { first, second in
            let id = try await first.enqueue(bytes: Self.message(lines: 1), envelope: Self.envelope()).id
            let until = Date().addingTimeInterval(3600)
            // The first node holds the row's lock (as its `update` does) while the second tries to claim
            // it: a claim that waited would never return (the test's time limit ends it).
            let refused = try await first.transaction { connection in
                try await connection.query(
                    "SELECT id FROM queue_entries WHERE id = \(id) FOR UPDATE",
                    logger: first.logger
                )
                return try await !second.claim(id, worker: "node-2", until: until)
            }
            #expect(refused)
            #expect(try await second.claim(id, worker: "node-2", until: until), "the lock is gone")
        }
    }

    /// Runs `body` with two stores on one fresh database: two nodes of a cluster.
    static func withTwoNodes(_ body: (PostgresMailStore, PostgresMailStore) async throws -> Void) async throws {
        try await PostgresServer.with { server throws in
            let url = try PostgresStoreURL(server.url)
            try await PostgresMailStore.withStore(url: url) { first throws in
                try await first.migrate()
                try await PostgresMailStore.withStore(url: url) { second throws in try await body(first, second) }
            }
        }
    }

    /// How many message bodies `store` holds.
    static func bodies(in store: PostgresMailStore) async throws -> Int {
        let rows = try await store.client.query("SELECT count(*) FROM message_bodies", logger: store.logger)
        var count = -1
        for try await found in rows.decode(Int.self) { count = found }
        return count
    }
}

extension StorageBackend {
    /// Runs `body` with the outbound queue of an empty store of this backend: the Maildir store's
    /// STORAGE/queue/, or the PostgreSQL store itself.
    func withQueue(_ body: (any OutboundQueueStore) async throws -> Void) async throws {
        try await with { store in try await body(store.outboundQueue) }
    }
}
